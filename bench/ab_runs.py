"""Two cases against one Heliograph, alternating round after round (bench.prompts,
bench.evaluators): the stack started, the cases run, the log pipeline drained, and the
results document with its problems."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import harness, stack

Runs = list[dict[str, Any]]
RunCases = Callable[[stack.Stack, str | None], tuple[Runs, int]]


def benchmark(
    name: str,
    profile: Any,  # a Profile of the caller's: name, rounds, seconds
    tmp: Path,
    run_cases: RunCases,
    comparison: Callable[[Runs], Any],  # the runs summed up, as the caller reports them
    where: Callable[[dict[str, Any]], str],  # a run, as its problems name it
) -> tuple[dict[str, Any], list[str]]:
    cpus = stack.Cpus.detect()
    document = harness.metadata(name, profile.name, cpus)
    system = stack.start(tmp, cpus)
    try:
        runs, served = run_cases(system, cpus.load)
        pipeline = stack.wait_for_drain(system, served, 60.0)
    finally:
        system.stop()
    problems = [f"{r['case']} {where(r)}: {r['errors']} wrk errors" for r in runs if r["errors"]]
    problems += harness.heliograph_problems(system.heliograph, pipeline, served, 60.0)
    document |= {
        "seconds_per_case": profile.seconds,
        "rounds": profile.rounds,
        "comparison": comparison(runs),
        "runs": runs,
        "log_pipeline": {**pipeline, "requests_served_by_heliograph": served},
    }
    harness.finish(document, problems)
    return document, problems

"""Heliograph against LiteLLM's proxy and Portkey's gateway, and against a bare Python relay
(bench.bare_relay) as the floor: same machine, same load, same fake provider, one run.

    make bench                           # python -m bench.compare: about 16 minutes
    python -m bench.compare --seconds 5  # shorter cases (about 5 minutes)
    python -m bench.compare --smoke      # direct + Heliograph, 2 s per case (the test suite's)
    python -m bench.compare --soak 300   # then 5 minutes of RSS soak on the same Heliograph

The fake provider is nginx returning canned OpenAI answers (a 1 KB chat completion, a
20-chunk stream); its capacity on one core is measured first. Then each system in turn,
Heliograph first (its own peak rate sets the open-loop rate of every system), then the bare
relay (Python's floor on this machine: what Heliograph's figures are a fraction of), direct
(the fake itself: the baseline every "added" figure subtracts), LiteLLM, Portkey:
  checked   one completion and one stream, checked by content: a misconfigured system
            fails the run instead of being measured fast;
  closed    wrk at 1, 16 and 64 connections, completions then streams, each case after a
            warm-up: requests/s and latency;
  open      h2load at a fixed rate, half Heliograph's best closed-loop rate of that kind:
            tail latency when nobody waits for anybody;
  ttft      streams one at a time: time to the first event.
Around every case: the system's CPU seconds (/proc, whole process tree) and its peak RSS;
for Heliograph, its log pipeline's rows stored per second and whether it kept up.
The system under test runs on CPU 0; the fake, wrk, h2load and this script on CPU 1.

Then the query benchmark (bench.query) on the embedded store, with everything stopped.

Total time: per system, 2 kinds x (3 concurrencies + 1 open rate) x (warm-up + seconds),
plus about 5 s of TTFT probe and its start-up; with the defaults (20 s, 1 s warm-up) about
3 minutes a system, 15.5 minutes for the five, plus the query benchmark (a minute or
so): about 16 minutes; `--seconds 15` brings it to about 12.

Results: bench/results/latest.json, latest.md (the tables) and latest.png (the chart);
--smoke writes smoke.* instead. Exit status 1 when anything failed a check or errored.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import chart, compare_report, harness, nginx, procstat, report, soak, stack, systems
from bench.loadgen import Load
from bench.processes import Service, missing_tools
from bench.runner import KINDS, Profile, SystemRun

RESULTS_DIR = Path(__file__).parent / "results"
# Heliograph first: it sets the rate; the bare relay next, its floor, measured close by.
ORDER = ("heliograph", "bare", "direct", "litellm", "portkey")
CAPACITY_SECONDS = 3


@dataclass(frozen=True)
class Options:
    profile: Profile
    systems: tuple[str, ...]
    route: str
    soak_seconds: int
    query_rows: int
    stand_ins: bool
    out: Path  # the stem: .json, .md and .png are written beside each other


def fake_capacity(fake: Service, upstream: str, load: Load, cpus: stack.Cpus) -> dict[str, Any]:
    """The fake's requests/s alone on CPU 0 (moved there for this), wrk on CPU 1."""
    kind = "nginx" if "nginx" in str(fake.process.args) else "python (bench.pyfake)"
    section: dict[str, Any] = {"kind": kind, "url": upstream}
    if not load.native or cpus.heliograph is None:
        section["capacity"] = "not measured: needs wrk and two CPUs"
        return section
    pids = procstat.tree(fake.pid)
    for pid in pids:
        os.sched_setaffinity(pid, {int(cpus.heliograph)})
    try:
        direct = systems.direct(fake, upstream)
        for kind_name in KINDS:
            result = load.closed(direct.call(kind_name == "stream"), 64, CAPACITY_SECONDS)
            section[f"{kind_name}_requests_per_s_one_core"] = round(result.requests_per_s)
            section[f"{kind_name}_errors"] = result.errors
    finally:
        for pid in pids:
            os.sched_setaffinity(pid, {int(cpus.load)} if cpus.load else os.sched_getaffinity(0))
    section["over_100k_per_s"] = section["completion_requests_per_s_one_core"] > 100_000
    print(f"  fake provider alone on one core: {section}", file=sys.stderr, flush=True)
    return section


def measure(
    name: str, options: Options, tmp: Path, cpus: stack.Cpus, fake: Service, upstream: str,
    load: Load, rates: dict[str, float],
) -> tuple[SystemRun, list[str], dict[str, Any]]:  # fmt: skip
    """One system from start to stop; returns its run, its problems, its extra sections."""
    system = systems.start(name, tmp, cpus.heliograph, fake, upstream, options.route)
    run = SystemRun(system, load, options.profile)
    extra: dict[str, Any] = {}
    try:
        run.check()
        run.closed_cases()
        if name == "heliograph":
            rates |= {kind: round(run.peak_rate(kind) / 2) for kind in KINDS}
        run.open_cases(rates)
        run.probe_ttft()
        if name == "heliograph" and options.soak_seconds:
            extra["soak"] = soak.soak(system, load, options.soak_seconds)
            run.served += extra["soak"]["requests"]
        run.finish()
        if system.base_url:
            timeout = options.profile.drain_timeout_s
            extra["log_pipeline"] = stack.drain(system.base_url, run.served, timeout)
    finally:
        system.stop()
    problems = [
        f"{name} {c.kind} {c.mode} c={c.concurrency} rate={c.rate}: {c.errors} errors "
        f"(warm-up included): {c.as_dict()}"
        for c in run.cases
        if c.errors
    ]
    problems += [
        f"{name} {c.kind} {c.mode} c={c.concurrency}: no request completed in "
        f"{options.profile.seconds} s"
        for c in run.cases
        if c.result.requests == 0
    ]
    if run.ttft.get("errors"):
        problems.append(f"{name}: {run.ttft['errors']} TTFT probe errors")
    if name == "heliograph":
        timeout = options.profile.drain_timeout_s
        pipeline = extra.get("log_pipeline", {})
        problems += harness.heliograph_problems(system.service, pipeline, run.served, timeout)
    return run, problems, extra


def benchmark(options: Options, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    cpus = stack.Cpus.detect()
    document = harness.metadata("compare", options.profile.name, cpus)
    if cpus.load is not None:  # this script and the Python load generator stay off CPU 0
        os.sched_setaffinity(0, {int(cpus.load)})
    load = Load.detect(cpus.load, tmp, options.stand_ins)
    rates: dict[str, float] = {}
    runs: list[SystemRun] = []
    problems: list[str] = []
    sections: dict[str, Any] = {}
    fake, upstream = stack.start_fake(tmp, cpus.load, options.stand_ins)
    try:
        sections["fake_provider"] = fake_capacity(fake, upstream, load, cpus)
        for name in options.systems:
            print(f"{name}:", file=sys.stderr, flush=True)
            run, found, extra = measure(name, options, tmp, cpus, fake, upstream, load, rates)
            runs.append(run)
            problems += found
            sections |= extra
    finally:
        fake.stop()
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    if options.query_rows:
        sections["query"] = _query(options.query_rows, problems)
    document |= {
        "settings": _settings(options, load),
        "open_loop_rates": rates,
        # tables and chart in the order of systems.NAMES: direct first
        "systems": {r.name: r.summary() for r in sorted(runs, key=_display_order)},
        "cases": [case.as_dict() for run in runs for case in run.cases],
        **sections,
    }
    document["comparison"] = compare_report.comparisons(document)
    document["targets"] = compare_report.targets(document)
    document["against_bare"] = compare_report.against_bare(document)
    harness.finish(document, problems)
    return document, problems


def _display_order(run: SystemRun) -> int:
    return systems.NAMES.index(run.name)


def _settings(options: Options, load: Load) -> dict[str, Any]:
    p = options.profile
    return {
        "systems": list(options.systems),
        "heliograph_route": options.route,
        "concurrencies": list(p.concurrencies),
        "seconds_per_case": p.seconds,
        "warmup_seconds_per_case": p.warmup_seconds,
        "ttft_probe_seconds": p.ttft_seconds,
        "load_generator": load.name,
        "upstream_response_bytes": {
            name: len(body.encode()) for name, (_, body) in nginx.answers().items()
        },
    }


def _query(rows: int, problems: list[str]) -> dict[str, Any]:
    """bench.query's run on `rows` rows per org, in this process (another helper's module)."""
    from bench import query

    print(f"query benchmark ({rows:,} rows per org):", file=sys.stderr, flush=True)
    began = time.monotonic()
    try:
        result: dict[str, Any] = asyncio.run(query.run(rows, 5))
    except Exception as exc:  # its failure must not lose the proxy figures already taken
        problems.append(f"bench.query failed: {exc!r}")
        return {"error": repr(exc)}
    result["wall_seconds"] = round(time.monotonic() - began, 1)
    return result


def _options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="direct + Heliograph, 2 s cases")
    parser.add_argument("--seconds", type=int, help="per case (default 20; smoke 2)")
    parser.add_argument("--warmup", type=int, help="seconds before each case (default 1)")
    parser.add_argument("--systems", help=f"comma-separated subset of {','.join(ORDER)}")
    parser.add_argument("--route", choices=("gateway", "passthrough"), default="gateway")
    parser.add_argument("--soak", type=int, default=0, help="seconds of Heliograph RSS soak")
    parser.add_argument("--query-rows", type=int, help="bench.query rows per org; 0: skip")
    parser.add_argument("--out", type=Path, help="results stem (default bench/results/latest)")
    parser.add_argument(
        "--stand-ins", action="store_true", help="bench.pyfake and bench.pyload, never nginx/wrk"
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (2 if args.smoke else 20)
    warmup = args.warmup if args.warmup is not None else 1
    concurrencies = (16,) if args.smoke else (1, 16, 64)
    profile = Profile(
        "smoke" if args.smoke else "full", concurrencies, seconds, warmup,
        ttft_seconds=1 if args.smoke else 5, drain_timeout_s=60.0,
    )  # fmt: skip
    chosen = tuple(args.systems.split(",")) if args.systems else ORDER
    if args.smoke and not args.systems:
        chosen = ("heliograph", "direct")
    unknown = set(chosen) - set(ORDER)
    if unknown or "heliograph" not in chosen:
        parser.error(f"--systems: choose from {', '.join(ORDER)}, Heliograph included")
    query_rows = args.query_rows if args.query_rows is not None else (
        2_000 if args.smoke else 1_000_000
    )  # fmt: skip
    return Options(
        profile,
        tuple(name for name in ORDER if name in chosen),
        args.route,
        args.soak,
        query_rows,
        args.stand_ins,
        args.out or RESULTS_DIR / ("smoke" if args.smoke else "latest"),
    )


def _write(document: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    document["chart"] = chart.draw(document, out.with_suffix(".png"))
    report.write_json(out.with_suffix(".json"), document)
    markdown = compare_report.markdown(document)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    print(f"results: {out.with_suffix('.json')}, .md; chart: {document['chart']}")


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    missing = [] if options.stand_ins else missing_tools()
    if missing and options.profile.name == "smoke":
        # The smoke run keeps the harness working, not figures: the stand-ins will do.
        print("bench.compare: " + "; ".join(missing), file=sys.stderr)
        print("bench.compare: smoke run with bench.pyfake and bench.pyload", file=sys.stderr)
        options = replace(options, stand_ins=True)
    elif missing:
        print("bench.compare: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        print("(--stand-ins runs the Python stand-ins: figures not comparable)")
        return 2

    def body(tmp: Path) -> int:
        began = time.monotonic()
        document, problems = benchmark(options, tmp)
        document["wall_seconds"] = round(time.monotonic() - began, 1)
        _write(document, options.out)
        if problems:
            print("bench.compare: FAILED:\n" + "\n".join(problems), file=sys.stderr)
            return 1
        return 0

    return harness.run_main("bench.compare", body)


if __name__ == "__main__":
    sys.exit(main())

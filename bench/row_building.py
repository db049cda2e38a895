"""Where a logged call's CPU goes, in two checkouts compared: the same proxied completions
and streams, at c=16, against a baseline Heliograph and this one, alternating round after
round. Made to measure moving row building off the request path (issue 23: the figures of
the first try are in its note), it compares any two checkouts.

    python -m bench.row_building --baseline /path/to/other/checkout/src
    python -m bench.row_building --smoke      # this checkout against itself, 1 s a case

For each it reports requests/s, Heliograph's CPU milliseconds a request (the whole
process) and the event loop's (its main thread: the part a gateway process keeps when
rows are built elsewhere). Ratios are this checkout's over the baseline's, of the medians.
Heliograph runs on CPU 0, nginx and wrk on CPU 1, as in bench.proxy.

Results: a table on stdout and bench/results/row-building-latest.json (-smoke.json).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness, procstat, stack, wrk

RESULTS_DIR = Path(__file__).parent / "results"
HERE = str(Path(__file__).resolve().parents[1] / "src")
CASES = ("completion", "stream")
CONCURRENCY = 16


@dataclass(frozen=True)
class Profile:
    name: str
    rounds: int
    seconds: int
    warmup_seconds: int
    out: Path


FULL = Profile("full", 3, 10, 2, RESULTS_DIR / "row-building-latest.json")
SMOKE = Profile("smoke", 1, 1, 1, RESULTS_DIR / "row-building-smoke.json")


def _started(tmp: Path, cpus: stack.Cpus, fake: Any, upstream: str, source: str) -> stack.Stack:
    """Heliograph from `source` (a checkout's src/) pointed at the running fake."""
    os.environ["PYTHONPATH"] = source  # start_heliograph passes the environment on
    tmp.mkdir(parents=True)
    gateway, base, key = stack.start_heliograph(tmp, cpus.heliograph, upstream)
    return stack.Stack(fake, gateway, upstream, base, key)


def _measure(
    system: stack.Stack, case: str, profile: Profile, tmp: Path, cpu: str | None
) -> dict[str, Any]:
    call = system.call("passthrough", case == "stream")
    script = wrk.write_script(tmp / f"row-building-{case}.lua", call.body, call.headers)
    warm = wrk.run(call.url, script, CONCURRENCY, profile.warmup_seconds, cpu)
    pid = system.heliograph.pid
    process, loop = procstat.cpu_seconds(pid), procstat.main_thread_cpu_seconds(pid)
    result = wrk.run(call.url, script, CONCURRENCY, profile.seconds, cpu)
    process = procstat.cpu_seconds(pid) - process
    loop = procstat.main_thread_cpu_seconds(pid) - loop
    per = (lambda s: round(s / result.requests * 1000, 4)) if result.requests else (lambda s: 0.0)
    return {
        "case": case,
        "errors": warm.errors + result.errors,
        "served": warm.requests + result.requests,
        "cpu_ms_per_request": per(process),
        "loop_cpu_ms_per_request": per(loop),
        **result.as_dict(),
    }


def run_rounds(tmp: Path, profile: Profile, baseline: str) -> list[dict[str, Any]]:
    cpus = stack.Cpus.detect()
    fake, upstream = stack.start_fake(tmp, cpus.load)
    runs: list[dict[str, Any]] = []
    try:
        for round_ in range(profile.rounds):
            for version, source in (("baseline", baseline), ("this", HERE)):
                system = _started(tmp / f"{version}-{round_}", cpus, fake, upstream, source)
                try:
                    for case in CASES:
                        run = _measure(system, case, profile, tmp, cpus.load)
                        runs.append({"version": version, "round": round_, **run})
                        _progress(round_, version, run)
                finally:
                    system.heliograph.stop()
    finally:
        fake.stop()
    return runs


def _progress(round_: int, version: str, run: dict[str, Any]) -> None:
    print(
        f"  round {round_} {version:<8} {run['case']:<10} {run['requests_per_s']:>8,.0f} req/s"
        f"  CPU {run['cpu_ms_per_request']:.3f} ms/request,"
        f" event loop {run['loop_cpu_ms_per_request']:.3f}",
        file=sys.stderr,
        flush=True,
    )


def comparison(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        medians = {}
        for version in ("baseline", "this"):
            mine = [r for r in runs if r["case"] == case and r["version"] == version]
            medians[version] = {
                key: statistics.median(r[key] for r in mine)
                for key in ("requests_per_s", "cpu_ms_per_request", "loop_cpu_ms_per_request")
            }
        base, this = medians["baseline"], medians["this"]
        rows.append(
            {"case": case, "baseline": base, "this": this}
            | {
                f"{key}_ratio": round(this[key] / base[key], 3) if base[key] else None
                for key in base
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.row_building", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--baseline", default=HERE, help="the src/ directory of the baseline checkout"
    )
    parser.add_argument("--smoke", action="store_true", help="one round of 1 s")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out
    refused = harness.cannot_run("bench.row_building")
    if refused is not None:
        return refused

    def body(tmp: Path) -> int:
        runs = run_rounds(tmp, profile, str(Path(args.baseline).resolve()))
        document = harness.metadata("row-building", profile.name, stack.Cpus.detect())
        document |= {"baseline": args.baseline, "comparison": comparison(runs), "runs": runs}
        problems = [
            f"{r['version']} {r['case']}: {r['errors']} wrk errors" for r in runs if r["errors"]
        ]
        harness.finish(document, problems)
        for row in document["comparison"]:
            print(
                f"{row['case']:<10} req/s ratio {row['requests_per_s_ratio']}, CPU/request ratio "
                f"{row['cpu_ms_per_request_ratio']}, event-loop CPU/request ratio "
                f"{row['loop_cpu_ms_per_request_ratio']}"
            )
        return harness.conclude("bench.row_building", out, document, problems)

    return harness.run_main("bench.row_building", body)


if __name__ == "__main__":
    sys.exit(main())

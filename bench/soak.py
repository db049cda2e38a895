"""Heliograph's memory under sustained load: is RSS flat?

    make bench-soak                         # python -m bench.soak: 5 minutes
    python -m bench.soak --seconds 60

One Heliograph (logging into chDB, as in bench.compare) in front of the fake provider,
closed-loop load at 16 connections in 30-second slices (a quarter of the soak when that
is shorter), completions and streams in turn, its process tree's RSS sampled twice a
second. `start` is the RSS after the first slice (caches and pools warm), `end` after the
last. A stream slice holds more memory than a completion slice (its rows are 14 times
larger), and chDB's merges raise RSS for seconds at a time, so what a leak would show is
the growth of the median RSS from the first to the last slice of the same kind, per kind.
Results: bench/results/soak-latest.json, and stdout.

bench.compare runs the same soak on its Heliograph with `--soak SECONDS`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench import harness, procstat, report, stack, systems
from bench.loadgen import Load
from bench.processes import missing_tools
from bench.systems import System

RESULTS = Path(__file__).parent / "results" / "soak-latest.json"
SLICE_SECONDS = 30
CONNECTIONS = 16


def soak(system: System, load: Load, seconds: int) -> dict[str, Any]:
    """Load `system` for `seconds` in slices; its RSS before, after each slice, at the end."""
    pid = system.service.pid
    slices: list[dict[str, Any]] = []
    before = procstat.rss_bytes(pid)
    # Whole slices, planned up front: a slice cut short by the time wrk takes to start
    # would measure RSS after a second of load (and after the wrong kind of slice).
    count = max(4, round(seconds / SLICE_SECONDS))  # at least four slices
    lengths = [seconds // count + (1 if i < seconds % count else 0) for i in range(count)]
    for index, length in enumerate(lengths):
        kind = ("completion", "stream")[index % 2]
        with procstat.RssSampler(pid, interval_s=0.5) as sampler:
            result = load.closed(system.call(kind == "stream"), CONNECTIONS, length)
        if not system.service.alive():
            raise system.service.failure(f"{system.name} exited during the soak")
        rss = sampler.last
        slices.append(
            {
                "slice": index + 1,
                "kind": kind,
                "seconds": length,
                "requests": result.requests,
                "requests_per_s": round(result.requests_per_s, 1),
                "errors": result.errors,
                "rss_mib": procstat.mib(rss),
                "rss_median_mib": procstat.mib(sampler.median),
                "rss_peak_mib": procstat.mib(sampler.peak),
            }
        )
        print(
            f"  soak {index + 1:>3} {kind:<10} {result.requests_per_s:>8,.0f} req/s  "
            f"RSS {procstat.mib(rss):7.1f} MiB (median {procstat.mib(sampler.median):.1f}, "
            f"peak {procstat.mib(sampler.peak):.1f})",
            file=sys.stderr,
            flush=True,
        )
    start, end = slices[0]["rss_mib"], slices[-1]["rss_mib"]
    by_kind = _growth_by_kind(slices)
    return {
        "seconds": seconds,
        "connections": CONNECTIONS,
        "rss_before_load_mib": procstat.mib(before),
        "rss_start_mib": start,
        "rss_end_mib": end,
        "rss_growth_mib": round(end - start, 1),
        "rss_growth_pct": round((end - start) / start * 100, 1) if start else 0.0,
        "rss_growth_by_kind": by_kind,
        "rss_growth_pct_same_kind": max((k["growth_pct"] for k in by_kind.values()), default=0.0),
        "requests": sum(s["requests"] for s in slices),
        "errors": sum(s["errors"] for s in slices),
        "slices": slices,
    }


def _growth_by_kind(slices: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median RSS during the first and the last slice of each kind, and the growth between.

    Medians, not the RSS at a slice's end: chDB's merges raise RSS by 100-200 MiB for a few
    seconds, and a reading that lands in one says nothing about a leak.
    """
    growth = {}
    for kind in ("completion", "stream"):
        rss = [s["rss_median_mib"] for s in slices if s["kind"] == kind]
        if len(rss) >= 2:
            pct = round((rss[-1] - rss[0]) / rss[0] * 100, 1) if rss[0] else 0.0
            growth[kind] = {"first_mib": rss[0], "last_mib": rss[-1], "growth_pct": pct}
    return growth


def _run(seconds: int, tmp: Path, stand_ins: bool) -> int:
    cpus = stack.Cpus.detect()
    document = harness.metadata("soak", "soak", cpus)
    load = Load.detect(cpus.load, tmp, stand_ins)
    fake, upstream = stack.start_fake(tmp, cpus.load, stand_ins)
    try:
        system = systems.start("heliograph", tmp, cpus.heliograph, fake, upstream, "gateway")
        try:
            result = soak(system, load, seconds)
            served = result["requests"]
            pipeline = stack.drain(system.base_url, served, 60)
        finally:
            system.stop()
    finally:
        fake.stop()
    problems = harness.heliograph_problems(system.service, pipeline, served, 60)
    if result["errors"]:
        problems.append(f"{result['errors']} errors under load")
    document |= {"load_generator": load.name, "soak": result, "log_pipeline": pipeline}
    harness.finish(document, problems)
    report.write_json(RESULTS, document)
    print(
        f"RSS start {result['rss_start_mib']} MiB, end {result['rss_end_mib']} MiB "
        f"({result['rss_growth_mib']:+} MiB, {result['rss_growth_pct']:+}%) over {seconds} s; "
        f"rows stored {stack.rows_stored(pipeline)} ({pipeline['replayed']} replayed from the "
        f"spool); results: {RESULTS}"
    )
    if problems:
        print("bench.soak: FAILED:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--stand-ins", action="store_true", help="bench.pyfake and bench.pyload")
    args = parser.parse_args(argv)
    missing = [] if args.stand_ins else missing_tools(("nginx", "wrk", "taskset"))
    if missing:
        print("bench.soak: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    return harness.run_main("bench.soak", lambda tmp: _run(args.seconds, tmp, args.stand_ins))


if __name__ == "__main__":
    sys.exit(main())

"""What the response cache and rate limits cost on the passthrough route, in-process and in
Redis, against the same route with neither (non-streaming 1 KB completions; streams too
for cache hits).

    python -m bench.features           # c=1 and 16, 10 s per case (+2 s warm-up), ~5 minutes
    python -m bench.features --smoke   # c=16 only, 2 s per case

`python -m bench.proxy` runs this section too, after its own cases, and writes it as the
`features` section of its JSON; run alone, it writes bench/results/features-latest.json
(features-smoke.json for --smoke) with the same section and the run's machine details. It
is a module of its own because each cache/limiter backend needs its own Heliograph process
(the backend is a setting), while the proxy cases share one.

Per backend, a fresh Heliograph (memory: nothing set; redis: HELIOGRAPH_REDIS_URL on
database 13, flushed first) serves, back to back at each concurrency:
  plain      the passthrough call with no feature header, the baseline;
  ratelimit  the same with `Helicone-RateLimit-Policy: 1000000000;w=60;s=user`: a quota so
             large that every call passes the limiter and none is refused;
  cache-hit  the same with `Helicone-Cache-Enabled: true`, after one call that must be a MISS
             and one that must be a HIT: every call under load is answered from the cache.
The plain call costs less than a cache miss (a miss adds a lookup and a store), so "hit
cheaper than plain" is the stricter form of the issue's "a hit costs less than a miss".

The limiter remembers every admitted call of its window and adds them all up on each call,
so its cost grows with the calls in the window. To keep cases comparable, each ratelimit
case counts in a window of its own (`s=user`, a Helicone-User-Id per case); the
`rate_limit_growth` rows then load one window in consecutive slices to show the growth.

Checks: every wrk run tallies the `Helicone-Cache` header of each response (a Lua
`response` hook, in every case here, so the baselines pay for it too and these figures
are not comparable with bench.proxy's); plain and ratelimit responses must have none,
cache-hit ones must all be HIT. Each ratelimit case is bracketed by check calls whose
`Helicone-RateLimit-Remaining` must show every call counted. Redis is not pinned here: it
runs where the system put it (its CPUs are recorded).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench import features_cases, features_report, harness, report, stack
from bench.features_cases import FeatureRun
from bench.processes import BenchError, missing_tools

RESULTS_DIR = Path(__file__).parent / "results"
REDIS_URL = "redis://127.0.0.1:6379/13"
BACKENDS = {"memory": "", "redis": REDIS_URL}  # -> HELIOGRAPH_REDIS_URL


@dataclass(frozen=True)
class Profile:
    name: str
    concurrencies: tuple[int, ...]
    seconds: int
    warmup_seconds: int
    growth_slices: int  # rate_limit_growth: this many wrk runs at the top concurrency ...
    growth_slice_seconds: int  # ... of this long each, on one window
    drain_timeout_s: float
    out: Path


FULL = Profile("full", (1, 16), 10, 2, 5, 2, 60.0, RESULTS_DIR / "features-latest.json")
SMOKE = Profile("smoke", (16,), 2, 1, 2, 1, 30.0, RESULTS_DIR / "features-smoke.json")
PROFILES = {p.name: p for p in (FULL, SMOKE)}


def _redis_details() -> dict[str, Any]:
    """Empty benchmark database 13; Redis's version and the CPUs it may run on."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.flushdb()
        info: dict[str, Any] = client.info("server")
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {REDIS_URL} is not usable: {exc}") from None
    finally:
        client.close()
    try:
        cpus: list[int] | str = sorted(os.sched_getaffinity(int(info["process_id"])))
    except OSError as exc:
        cpus = f"unknown ({exc.strerror})"
    return {"url": REDIS_URL, "version": info.get("redis_version"), "cpus": cpus}


def _run_cases(run: FeatureRun, profile: Profile) -> None:
    """Per concurrency, each kind's features back to back; then the limiter's growth."""
    run.warm_cache()
    for concurrency in profile.concurrencies:
        for kind, features in features_cases.FEATURES.items():
            for feature in features:
                run.case(feature, kind, concurrency, profile.seconds, profile.warmup_seconds)
    top = max(profile.concurrencies)
    run.growth(top, profile.growth_slices, profile.growth_slice_seconds)


def measure(profile: Profile, tmp: Path, cpus: stack.Cpus) -> tuple[dict[str, Any], list[str]]:
    """Both backends, one Heliograph each; returns the `features` section and its problems."""
    runs: list[FeatureRun] = []
    redis_details: dict[str, Any] = {}
    for backend, url in BACKENDS.items():
        if url:
            redis_details = _redis_details()
        workdir = tmp / f"features-{backend}"
        workdir.mkdir(parents=True, exist_ok=True)
        system = stack.start(workdir, cpus, {"HELIOGRAPH_REDIS_URL": url})
        run = FeatureRun(backend, system, workdir, cpus.load)
        runs.append(run)
        try:
            _run_cases(run, profile)
            run.pipeline = stack.wait_for_drain(system, run.served, profile.drain_timeout_s)
        finally:
            system.stop()
        run.check_shutdown(profile.drain_timeout_s)
    problems = [p for r in runs for p in r.problems]
    section = {
        "profile": profile.name,
        "seconds_per_case": profile.seconds,
        "warmup_seconds_per_case": profile.warmup_seconds,
        "rate_limit_policy": features_cases.POLICY,
        "redis": redis_details,
        "comparison": features_report.comparisons([c for r in runs for c in r.cases]),
        "rate_limit_growth": [g for r in runs for g in r.growth_rows],
        "cases": [c.as_dict() for r in runs for c in r.cases],
        "heliograph": {r.backend: r.summary() for r in runs},
        "problems": problems,
    }
    return section, problems


def print_section(section: dict[str, Any]) -> None:
    print("Cache and rate limits on the passthrough route (added = with the feature - plain):")
    print(features_report.table(section["comparison"]))
    print()
    print("Rate limiter cost as its window fills (one window, consecutive wrk runs):")
    print(features_report.growth_table(section["rate_limit_growth"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.features", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="c=16 only, 2 s per case")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out
    missing = missing_tools(("nginx", "wrk", "taskset"))
    if missing:
        print("bench.features: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2

    def body(tmp: Path) -> int:
        began = time.monotonic()
        cpus = stack.Cpus.detect()
        document = harness.metadata("features", profile.name, cpus)
        section, problems = measure(profile, tmp, cpus)
        document["features"] = section
        harness.finish(document, problems)
        document["wall_seconds"] = round(time.monotonic() - began, 1)
        report.write_json(out, document)
        print_section(section)
        print(
            f"load average (1 min) at start {document['load_average_1_5_15_min']['start'][0]:.2f}"
        )
        print(f"results: {out}")
        if problems:
            print("bench.features: FAILED:\n" + "\n".join(problems), file=sys.stderr)
            return 1
        return 0

    return harness.run_main("bench.features", body)


if __name__ == "__main__":
    sys.exit(main())

"""How much latency and throughput Heliograph adds over calling the provider directly, and
how much its unified gateway (with provider translation) adds over its plain passthrough.

    python -m bench.proxy            # full run: 24 cases x (2 s warm-up + 10 s), about 5 minutes,
                                     # then bench.features' section, about 5 more
    python -m bench.proxy --smoke    # c=16 only, 2 s per case: keeps the harness working

Four targets, each with a ~1 KB JSON completion and a 20-chunk SSE stream:
  direct             nginx's `/v1/chat/completions`, as an OpenAI client would call it;
  passthrough        Heliograph's OpenAI passthrough route (`/openai/v1/chat/completions`);
  gateway-openai     the unified gateway (`/v1/chat/completions`), model `gpt-4o-mini/openai`;
  gateway-anthropic  the same with `claude-3-5-sonnet-20241022/anthropic`: Heliograph
                     translates the request to Anthropic's `/v1/messages` and its JSON or
                     event stream back into OpenAI's.
Streams carry no `stream_options`, as from most SDKs, so Heliograph does its usual work of
asking upstream for usage and keeping the usage-only chunk from the client.

The fake provider is nginx (`return 200` of canned bodies, one worker, no access log), so
the upstream costs next to nothing and the differences between targets are Heliograph's own
cost. One Heliograph process serves every target, and nginx picks the JSON or the stream
answer from the `"stream": true` in the request body (see nginx.py for how). The choice
had to come from the body: the gateway sends upstream none of the caller's headers, and
a provider has one base URL per Heliograph process, so separate URLs for the two answers
would have meant a second Heliograph process and cases compared across processes. Every
target, direct included, goes through the same nginx steps, so nginx's cost (P50 44 µs
at c=1 in a quick wrk test, against 32-37 µs for a bare `return`) cancels out in every
difference reported.

Load is wrk, closed loop, at 1, 16 and 64 connections, after a short warm-up; for each
kind and concurrency the four targets run back to back. Latency is request-to-last-byte
(for streams: the whole stream, which nginx sends in one go). With two or more CPUs,
Heliograph (with its chDB store) runs on CPU 0 and nginx and wrk on CPU 1. Before load,
one call per target and kind is checked by content; any wrk socket error or status over
399 fails the run. At the end the script waits for Heliograph's log pipeline to store every
row it was given and reports both counts.

Then, once this Heliograph has stopped, the cache and rate-limit cases of bench.features
(their own Heliograph processes, in-process and Redis backends; see there), in the same
profile.

Results: two tables on stdout (passthrough against direct; each gateway target against
passthrough, with the aim of adding under 0.3 ms at P50), then bench.features' two, and
every figure in bench/results/proxy-latest.json (proxy-smoke.json for --smoke), the
features ones in its `features` section.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import checks, features, harness, nginx, report, stack, wrk
from bench.processes import missing_tools

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Profile:
    name: str
    concurrencies: tuple[int, ...]
    seconds: int
    warmup_seconds: int
    drain_timeout_s: float
    out: Path


FULL = Profile("full", (1, 16, 64), 10, 2, 60.0, RESULTS_DIR / "proxy-latest.json")
SMOKE = Profile("smoke", (16,), 2, 1, 30.0, RESULTS_DIR / "proxy-smoke.json")


def run_cases(
    system: stack.Stack, profile: Profile, tmp: Path, cpu: str | None
) -> tuple[list[report.Case], int]:
    """Every kind x concurrency, all targets back to back; returns (cases, served)."""
    cases: list[report.Case] = []
    served = 0  # requests Heliograph answered, warm-ups included
    for kind in report.KINDS:
        stream = kind == "stream"
        for concurrency in profile.concurrencies:
            for target in stack.TARGETS:
                call = system.call(target, stream)
                script = wrk.write_script(tmp / f"{target}-{kind}.lua", call.body, call.headers)
                warm = wrk.run(call.url, script, concurrency, profile.warmup_seconds, cpu)
                result = wrk.run(call.url, script, concurrency, profile.seconds, cpu)
                if target != "direct":
                    served += warm.requests + result.requests
                    if not system.heliograph.alive():
                        raise system.heliograph.failure("Heliograph exited during the run")
                case = report.Case(kind, concurrency, target, result, warm.errors)
                cases.append(case)
                _progress(case)
    return cases, served


def _progress(case: report.Case) -> None:
    r = case.result
    errors = f"  ERRORS: {case.errors} (warm-up included)" if case.errors else ""
    print(
        f"  {case.kind:<10} c={case.concurrency:<3} {case.target:<17} "
        f"{r.requests_per_s:>9,.0f} req/s  P50 {r.p50_us / 1000:7.3f} ms  "
        f"P99 {r.p99_us / 1000:7.3f} ms{errors}",
        file=sys.stderr,
        flush=True,
    )


def benchmark(profile: Profile, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    """Run everything; returns the results document and the problems that fail the run."""
    cpus = stack.Cpus.detect()
    document = harness.metadata("proxy", profile.name, cpus)
    system = stack.start(tmp, cpus)
    try:
        served = checks.check_responses(system)
        cases, measured = run_cases(system, profile, tmp, cpus.load)
        served += measured
        pipeline = stack.wait_for_drain(system, served, profile.drain_timeout_s)
    finally:
        system.stop()
    feature_section, feature_problems = features.measure(features.PROFILES[profile.name], tmp, cpus)
    problems = [
        f"{c.kind} c={c.concurrency} {c.target}: {c.errors} wrk errors, warm-up included "
        f"({c.as_dict()})"
        for c in cases
        if c.errors
    ]
    problems += harness.heliograph_problems(
        system.heliograph, pipeline, served, profile.drain_timeout_s
    )
    problems += feature_problems
    document |= {
        "seconds_per_case": profile.seconds,
        "warmup_seconds_per_case": profile.warmup_seconds,
        "upstream_response_bytes": {
            name: len(body.encode()) for name, (_, body) in nginx.answers().items()
        },
        "gateway_models": stack.GATEWAY_MODELS,
        "summary": report.summary(cases),
        "comparison": report.comparisons(cases),
        "gateway_comparison": report.gateway_comparisons(cases, tuple(stack.GATEWAY_MODELS)),
        "cases": [c.as_dict() for c in cases],
        "log_pipeline": {**pipeline, "requests_served_by_heliograph": served},
        "heliograph_exit_code": system.heliograph.exit_code,
        "heliograph_log_errors": system.heliograph.log_errors(),
        "features": feature_section,
    }
    harness.finish(document, problems)
    return document, problems


def print_report(document: dict[str, Any], out: Path) -> None:
    summary, pipeline = document["summary"], document["log_pipeline"]
    print("Passthrough route against calling nginx directly:")
    print(report.table(document["comparison"]))
    print()
    print("Unified gateway against the passthrough route (added = gateway - passthrough):")
    print(report.gateway_table(document["gateway_comparison"]))
    print()
    features.print_section(document["features"])
    print()
    for target, peaks in summary["peak_requests_per_s"].items():
        figures = ", ".join(f"{kind} {value:,}" for kind, value in peaks.items())
        print(f"peak req/s {target}: {figures}")
    headroom = ", ".join(f"{k} {v}x" for k, v in summary["nginx_headroom_x"].items())
    print(f"nginx headroom (direct / fastest Heliograph target): {headroom}")
    print(
        f"Log pipeline: submitted {pipeline['submitted']}, stored {stack.rows_stored(pipeline)} "
        f"(requests served {pipeline['requests_served_by_heliograph']}, "
        f"drained: {pipeline['drained']})"
    )
    load = document["load_average_1_5_15_min"]
    print(
        f"nproc {document['machine']['nproc']}; load average (1 min) at start "
        f"{load['start'][0]:.2f}, at end {load['end'][0]:.2f}; results: {out}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.proxy", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="c=16 only, 2 s per case")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out

    missing = missing_tools(("nginx", "wrk", "taskset"))
    if missing:
        print("bench.proxy: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2

    def body(tmp: Path) -> int:
        began = time.monotonic()
        document, problems = benchmark(profile, tmp)
        document["wall_seconds"] = round(time.monotonic() - began, 1)
        report.write_json(out, document)
        print_report(document, out)
        if problems:
            print("bench.proxy: FAILED:\n" + "\n".join(problems), file=sys.stderr)
            return 1
        return 0

    return harness.run_main("bench.proxy", body)


if __name__ == "__main__":
    sys.exit(main())

"""How much latency and throughput Heliograph adds over calling the provider directly.

    python -m bench.proxy            # full run: 12 cases x (2 s warm-up + 10 s), about 2.5 minutes
    python -m bench.proxy --smoke    # c=16 only, 2 s per case: keeps the harness working

The fake provider is nginx (`return 200` of canned bodies, one worker, no access log), so
the upstream costs next to nothing and the difference between the two targets is
Heliograph's own cost. Both response kinds are served on the one path
`/v1/chat/completions`: the `X-Bench-Stream: 1` request header selects the 20-chunk SSE
stream instead of the ~1 KB JSON completion. Heliograph forwards that header like any
other, so both kinds go through the same OpenAI passthrough route
(`/openai/v1/chat/completions`) and the same OpenAI usage and cost extraction; a second
upstream prefix reached through the generic `/gateway` route would have measured a
different provider path for streams. Stream requests carry no `stream_options`, as from most
SDKs, so Heliograph does its usual work of asking upstream for usage and dropping the
usage-only chunk on the way back.

Load is wrk, closed loop, at 1, 16 and 64 connections, after a short warm-up. Latency is
request-to-last-byte (for streams: the whole stream, which nginx sends in one go). With
two or more CPUs, Heliograph (with its chDB store) runs on CPU 0 and nginx and wrk on
CPU 1. Any wrk socket error or status over 399 fails the run. At the end the script waits
for Heliograph's log pipeline to store every row it was given and reports both counts.

Results: a table on stdout and every figure in bench/results/proxy-latest.json
(proxy-smoke.json for --smoke).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import report, stack, wrk
from bench.fixtures import completion_body, request_body, stream_body
from bench.processes import BenchError, missing_tools

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
    """Every kind x concurrency, direct then Heliograph back to back; returns (cases, served)."""
    cases: list[report.Case] = []
    served = 0  # requests Heliograph answered, warm-ups included
    for kind in report.KINDS:
        stream = kind == "stream"
        for concurrency in profile.concurrencies:
            for target in report.TARGETS:
                script = wrk.write_script(
                    tmp / f"{target}-{kind}.lua",
                    request_body(stream),
                    system.headers(target, stream),
                )
                url = system.url(target)
                warm = wrk.run(url, script, concurrency, profile.warmup_seconds, cpu)
                result = wrk.run(url, script, concurrency, profile.seconds, cpu)
                if target == "heliograph":
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
        f"  {case.kind:<10} c={case.concurrency:<3} {case.target:<10} "
        f"{r.requests_per_s:>9,.0f} req/s  P50 {r.p50_us / 1000:7.3f} ms  "
        f"P99 {r.p99_us / 1000:7.3f} ms{errors}",
        file=sys.stderr,
        flush=True,
    )


def benchmark(profile: Profile, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    """Run everything; returns the results document and the problems that fail the run."""
    cpus = stack.Cpus.detect()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    system = stack.start(tmp, cpus)
    try:
        served = stack.check_responses(system)
        cases, measured = run_cases(system, profile, tmp, cpus.load)
        served += measured
        pipeline = stack.wait_for_drain(system, served, profile.drain_timeout_s)
    finally:
        system.stop()
    problems = [
        f"{c.kind} c={c.concurrency} {c.target}: {c.errors} wrk errors, warm-up included "
        f"({c.as_dict()})"
        for c in cases
        if c.errors
    ]
    if not pipeline["drained"]:
        problems.append(
            f"log pipeline did not store every row within {profile.drain_timeout_s:.0f} s: "
            f"submitted {pipeline['submitted']}, stored {pipeline['stored']}, "
            f"requests served {served}"
        )
    # uvicorn re-raises the SIGTERM it handled, so a clean shutdown ends with -SIGTERM.
    if system.heliograph.exit_code not in (0, -signal.SIGTERM):
        problems.append(
            f"Heliograph exited with {system.heliograph.exit_code} on SIGTERM:\n"
            + system.heliograph.log_tail()
        )
    log_errors = system.heliograph.log_errors()
    if log_errors:
        problems.append("Heliograph logged errors:\n" + "\n".join(log_errors[:20]))
    document = {
        "benchmark": "proxy",
        "mode": profile.name,
        "started_at": started_at,
        "seconds_per_case": profile.seconds,
        "warmup_seconds_per_case": profile.warmup_seconds,
        "machine": report.machine(),
        "cpu_pinning": {"heliograph": cpus.heliograph, "nginx_and_wrk": cpus.load},
        "versions": report.versions(),
        "response_bytes": {"completion": len(completion_body()), "stream": len(stream_body())},
        "summary": report.summary(cases),
        "comparison": report.comparisons(cases),
        "cases": [c.as_dict() for c in cases],
        "log_pipeline": {**pipeline, "requests_served_by_heliograph": served},
        "heliograph_exit_code": system.heliograph.exit_code,
        "heliograph_log_errors": log_errors,
        "problems": problems,
        "ok": not problems,
    }
    return document, problems


def print_report(document: dict[str, Any], out: Path) -> None:
    summary, pipeline = document["summary"], document["log_pipeline"]
    print(report.table(document["comparison"]))
    print()
    for label, key in (
        ("nginx direct req/s (peak)", "nginx_direct_requests_per_s"),
        ("Heliograph req/s (peak, one worker)", "heliograph_requests_per_s"),
        ("nginx headroom (direct / Heliograph)", "nginx_headroom_x"),
    ):
        figures = ", ".join(f"{kind} {value:,}" for kind, value in summary[key].items())
        print(f"{label}: {figures}")
    print(
        f"Log pipeline: submitted {pipeline['submitted']}, stored {pipeline['stored']} "
        f"(requests served {pipeline['requests_served_by_heliograph']}, "
        f"drained: {pipeline['drained']})"
    )
    print(f"nproc {document['machine']['nproc']}; results: {out}")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: unwind through the same clean-up as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.proxy", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="c=16 only, 2 s per case")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out

    missing = missing_tools()
    if missing:
        print("bench.proxy: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="heliograph-bench-"))
    began = time.monotonic()
    try:
        document, problems = benchmark(profile, tmp)
    except BenchError as exc:
        print(f"bench.proxy: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.proxy: interrupted; everything started was stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    document["wall_seconds"] = round(time.monotonic() - began, 1)
    report.write_json(out, document)
    print_report(document, out)
    if problems:
        print("bench.proxy: FAILED:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where one Heliograph worker spends its time under load: a py-spy profile of the hot path.

    python -m bench.profile                         # gateway route, completions, c=16, 15 s
    python -m bench.profile --stream --connections 1
    python -m bench.profile --route passthrough --seconds 30
    python -m bench.profile --open 1600 --no-spy    # open loop (h2load) at 1,600 requests/s

Starts the fake provider and Heliograph as `make bench` does (Heliograph alone on CPU 0,
logging into chDB), drives wrk at it, and has py-spy sample Heliograph (native frames and
idle time included) for the whole case. Writes bench/results/profile-<case>.svg (a flame
graph) and .txt (collapsed stacks), and prints the functions with the most samples, both
as the leaf (self time) and anywhere on the stack (total time).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import flamegraph, h2load, procstat, stack, wrk
from bench.processes import BenchError

RESULTS = Path(__file__).parent / "results"


def _function(frame: str) -> str:
    """`name (path/file.py:line)` without the line: samples add up per function."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rstrip(')')})" if where else name


def _summarize(collapsed: Path, top: int) -> str:
    """The event loop's thread only (the others wait in queues): self and total time."""
    own: collections.Counter[str] = collections.Counter()
    anywhere: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, count in flamegraph.stacks(collapsed.read_text()):
        if "MainThread" not in frames[0]:
            continue
        total += count
        functions = [_function(frame) for frame in frames[1:]]
        own[functions[-1]] += count
        for function in set(functions):
            anywhere[function] += count
    lines = [f"{total} samples of the event loop's thread"]
    for title, counter in (("self", own), ("total", anywhere)):
        lines.append(f"-- top {top} by {title} --")
        lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", choices=("gateway", "passthrough"), default="gateway")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--open", type=int, default=0, help="open loop at this rate instead")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--native", action="store_true", help="C frames too (py-spy then costs far more)"
    )
    parser.add_argument(
        "--no-spy", action="store_true", help="CPU figures only, without py-spy's overhead"
    )
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise BenchError("py-spy not found: pip install py-spy")
    load = f"open{args.open}" if args.open else f"c{args.connections}"
    case = f"{args.route}-{'stream' if args.stream else 'completion'}-{load}"
    RESULTS.mkdir(exist_ok=True)
    cpus = stack.Cpus.detect()
    with tempfile.TemporaryDirectory(prefix="heliograph-profile-") as tmp_name:
        tmp = Path(tmp_name)
        running = stack.start(tmp, cpus)
        try:
            target = "gateway-openai" if args.route == "gateway" else "passthrough"
            call = running.call(target, args.stream)
            script = wrk.write_script(tmp / "case.lua", call.body, call.headers)
            wrk.run(call.url, script, args.connections, 2, cpus.load)  # warm-up
            collapsed = RESULTS / f"profile-{case}.txt"
            pid = running.heliograph.pid
            record = [py_spy, "record", "--pid", str(pid), "--threads", "--rate", str(args.rate)]
            record += ["--duration", str(args.seconds)]
            if args.native:
                record.append("--native")
            spy = None
            if not args.no_spy:
                output = ["--format", "raw", "--output", str(collapsed)]
                spy = subprocess.Popen([*record, *output])
                time.sleep(1)  # py-spy attaches
            threads_before = procstat.thread_cpu_seconds(pid)
            busy_before = procstat.cpu_busy_ticks()
            if args.open:
                result = h2load.run(
                    call.url, call.headers, call.body, args.open, args.seconds, 1, cpus.load, tmp
                )
            else:
                result = wrk.run(call.url, script, args.connections, args.seconds, cpus.load)
            busy = procstat.cpu_busy_share(busy_before)
            threads_after = procstat.thread_cpu_seconds(pid)
            if spy is not None:
                spy.wait(timeout=args.seconds + 60)
        finally:
            running.stop()
    print(
        f"{case}: {result.requests_per_s:,.0f} req/s, latency P50 / P99 / max "
        f"{result.p50_us / 1000:.2f} / {result.p99_us / 1000:.2f} / {result.max_us / 1000:.2f} ms"
    )
    print("busy share per CPU: " + ", ".join(f"cpu{n} {share:.0%}" for n, share in busy.items()))
    print("CPU seconds per 1,000 requests, by thread:")
    for name, seconds in sorted(threads_after.items(), key=lambda item: -item[1]):
        spent = seconds - threads_before.get(name, 0.0)
        if spent > 0:
            print(f"  {name:20} {1000 * spent / max(result.requests, 1):.3f}")
    if args.no_spy:
        return 0
    svg = collapsed.with_suffix(".svg")
    svg.write_text(flamegraph.render(collapsed.read_text(), title=case))
    print(_summarize(collapsed, args.top))
    print(f"wrote {collapsed} and {svg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

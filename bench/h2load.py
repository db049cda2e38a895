"""h2load as the open-loop load generator: a fixed request rate over HTTP/1.1.

`h2load --h1 --rps R/C -c C -n N -r 1 --rate-period 1ms`: C keep-alive connections (one
per 50 requests/s), each sending R/C requests per second on its own timer whatever the
server's pace, so the server cannot slow the load down by answering slowly as it does
under wrk's closed loop. The connections start 1 ms apart (`-r 1 --rate-period 1ms`): with
`-D` they would all start at once and their timers would fire together, so the "fixed
rate" would arrive as a burst of C requests every C/R seconds (measured: 16 requests within
10 microseconds, every 20 ms), which times how a burst queues, not a steady rate. h2load
cannot combine `-r` with `-D`, so the run is N = R x (warm-up + seconds) requests and the
requests that started during the warm-up are left out. h2load prints no percentiles: its
`--log-file` has one line per request (start, status, duration in microseconds) and the
percentiles come from there.

One caveat: a connection whose last request is still unanswered queues the next one and
times it from when it is sent, not from when it was due. While the server keeps up this
never happens; when it cannot (achieved rate under 95% of the target) the result says
`overloaded` and its latencies understate the wait.
"""

from __future__ import annotations

import math
import re
import statistics
import subprocess
from pathlib import Path

from bench.processes import terminate
from bench.pyload import percentile
from bench.wrk import WrkResult

# Connections: one per 50 requests/s (a request due every 20 ms on each, so one answered
# within 20 ms never delays the next), at least 4, at most 64.
PER_CONNECTION_RATE = 50
_COUNTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
    r"(\d+) failed, (\d+) errored, (\d+) timeout"
)


def run(
    url: str,
    headers: dict[str, str],
    body: str,
    rate: float,
    seconds: int,
    warmup_seconds: int,
    cpu: str | None,
    workdir: Path,
    capacity: float | None = None,
) -> WrkResult:
    """One open-loop run at `rate` requests/s; raises RuntimeError when h2load fails."""
    body_file = workdir / "h2load-body.json"
    body_file.write_text(body)
    log_file = workdir / "h2load-requests.tsv"
    log_file.unlink(missing_ok=True)
    connections = min(64, max(4, math.ceil(rate / PER_CONNECTION_RATE)))
    # A fixed number of requests (h2load's -r rules out -D): as many as the rate asks for, or
    # as a slower system can answer in that time (it is overloaded either way), so that a
    # slow system's run does not take many times longer.
    total = math.ceil(min(rate, capacity or rate) * (warmup_seconds + seconds))
    total = max(connections, total - total % connections)  # h2load: a multiple of them
    command = ["h2load", "--h1", f"--clients={connections}", "--threads=1"]
    command += [f"--rps={rate / connections:.6f}", f"--requests={total}"]
    command += ["--rate=1", "--rate-period=1ms", f"--data={body_file}"]
    command += [f"--header={name}: {value}" for name, value in headers.items()]
    command += [f"--log-file={log_file}", url]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=seconds + warmup_seconds + 60)
    finally:
        terminate(process)
    counts = _COUNTS.search(output)
    if process.returncode != 0 or counts is None:
        raise RuntimeError(f"h2load exited {process.returncode}:\n{output[-2000:]}")
    logged = [line.split("\t")[:3] for line in log_file.read_text().splitlines()]
    first_start = min((int(start) for start, _, _ in logged), default=0)
    measured_from = first_start + warmup_seconds * 1_000_000
    latencies: list[float] = []
    status_errors = 0
    last_start = measured_from
    for start, status, duration_us in logged:
        if int(start) < measured_from:
            continue
        last_start = max(last_start, int(start))
        latencies.append(float(duration_us))
        status_errors += int(status) > 399 or int(status) < 0
    latencies.sort()
    failed, errored, timeouts = (int(counts.group(i)) for i in (5, 6, 7))
    return WrkResult(
        requests=len(latencies),
        # As sent: a server that cannot keep up stretches the run (rate = requests/duration).
        duration_us=max(1, last_start - measured_from),
        bytes=0,
        connect_errors=0,
        read_errors=errored + max(0, failed - status_errors - errored - timeouts),
        write_errors=0,
        status_errors=status_errors,
        timeouts=timeouts,
        p50_us=percentile(latencies, 50),
        p90_us=percentile(latencies, 90),
        p99_us=percentile(latencies, 99),
        p999_us=percentile(latencies, 99.9),
        mean_us=round(statistics.fmean(latencies), 1) if latencies else 0.0,
        max_us=latencies[-1] if latencies else 0.0,
    )

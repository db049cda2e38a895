"""Load from Python threads on raw sockets (bench.httpclient): the TTFT probe, and the
stand-in for wrk and h2load where they are not installed (the smoke test in CI).

Figures come back as wrk's WrkResult so that the rest of the harness cannot tell which
generator ran. Python threads share one interpreter lock: as a load generator this is far
slower than wrk, so its figures measure the harness as much as the server; it is there to
keep the harness working, not to be quoted. The TTFT probe runs one connection at a time,
where that lock costs nothing.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.httpclient import Connection, Exchange, build_request
from bench.wrk import WrkResult


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class _Tally:
    latencies_us: list[float]
    bytes: int = 0
    status_errors: int = 0
    read_errors: int = 0


def _result(tallies: list[_Tally], duration_s: float) -> WrkResult:
    latencies = sorted(v for t in tallies for v in t.latencies_us)
    return WrkResult(
        requests=len(latencies),
        duration_us=int(duration_s * 1e6),
        bytes=sum(t.bytes for t in tallies),
        connect_errors=0,
        read_errors=sum(t.read_errors for t in tallies),
        write_errors=0,
        status_errors=sum(t.status_errors for t in tallies),
        timeouts=0,
        p50_us=percentile(latencies, 50),
        p90_us=percentile(latencies, 90),
        p99_us=percentile(latencies, 99),
        p999_us=percentile(latencies, 99.9),
        mean_us=statistics.fmean(latencies) if latencies else 0.0,
        max_us=latencies[-1] if latencies else 0.0,
    )


def _record(tally: _Tally, exchange: Exchange, latency_us: float) -> None:
    tally.latencies_us.append(latency_us)
    tally.bytes += len(exchange.body)
    if exchange.status > 399:
        tally.status_errors += 1


def _closed_worker(url: str, request: bytes, deadline: float, tally: _Tally) -> None:
    connection = Connection(url)
    try:
        while time.monotonic() < deadline:
            try:
                exchange = connection.exchange(request)
            except OSError:
                tally.read_errors += 1
                continue
            _record(tally, exchange, exchange.latency_us)
    finally:
        connection.close()


def _open_worker(
    url: str, request: bytes, first_s: float, interval_s: float, deadline: float, tally: _Tally
) -> None:
    """Sends on a fixed schedule; latency counts from when the request was due, so a
    server that falls behind is charged for the wait (no coordinated omission)."""
    connection = Connection(url)
    due = first_s
    try:
        while due < deadline:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                exchange = connection.exchange(request)
            except OSError:
                tally.read_errors += 1
            else:
                _record(tally, exchange, (exchange.done_ns / 1e9 - due) * 1e6)
            due += interval_s
    finally:
        connection.close()


def _run_threads(workers: list[threading.Thread]) -> float:
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began


def closed_loop(
    url: str, headers: dict[str, str], body: str, connections: int, seconds: float
) -> WrkResult:
    """Each connection sends its next request as soon as the last one is answered."""
    request = build_request(url, headers, body)
    deadline = time.monotonic() + seconds
    tallies = [_Tally([]) for _ in range(connections)]
    workers = [
        threading.Thread(target=_closed_worker, args=(url, request, deadline, t), daemon=True)
        for t in tallies
    ]
    return _result(tallies, _run_threads(workers))


def open_loop(
    url: str, headers: dict[str, str], body: str, rate: float, seconds: float, connections: int
) -> WrkResult:
    """`rate` requests/s spread over `connections`, each on its own fixed schedule."""
    request = build_request(url, headers, body)
    start = time.perf_counter() + 0.05
    deadline = start + seconds
    interval = connections / rate
    tallies = [_Tally([]) for _ in range(connections)]
    workers = [
        threading.Thread(
            target=_open_worker,
            args=(url, request, start + i / rate, interval, deadline, tally),
            daemon=True,
        )
        for i, tally in enumerate(tallies)
    ]
    return _result(tallies, _run_threads(workers))


def ttft_probe(url: str, headers: dict[str, str], body: str, seconds: float) -> dict[str, Any]:
    """Streams one at a time for `seconds`: time to the first event and to the end."""
    request = build_request(url, headers, body)
    connection = Connection(url)
    first: list[float] = []
    whole: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            exchange = connection.exchange(request)
            if exchange.status > 399 or exchange.ttft_us is None:
                errors += 1
                continue
            first.append(exchange.ttft_us)
            whole.append(exchange.latency_us)
    finally:
        connection.close()
    first.sort()
    whole.sort()
    return {
        "streams": len(first),
        "errors": errors,
        **{f"ttft_p{p}_us": round(percentile(first, p), 1) for p in (50, 90, 99)},
        **{f"total_p{p}_us": round(percentile(whole, p), 1) for p in (50, 90, 99)},
    }

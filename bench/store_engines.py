"""Insert throughput and query latency of the store's engines on chDB, in one run.

    python -m bench.store_engines                        # 3 rounds, 2 x 30 batches of 2,000
    python -m bench.store_engines --rounds 5 --repeats 30  # as docs/scale-out.md was measured

Engines: `chdb-core` (store/chdb_engine.py, chDB's own session) and `connect` (clickhouse-
connect's chDB backend, store/connect_engine.py, `chdb:///path`). Each runs in its own
process (chDB hosts one store per process), the engines alternating round after round (the
machine may be shared: medians of the rounds are reported), each on a fresh store: log rows
as the log pipeline writes them (about 1 KB of bodies each, realistic properties), inserted
in batches of `log_batch_rows` through the log sink, once from the lines and once from a
sealed segment file (what the pipeline hands over when the rows are on disk); then the
request query, a metrics total and an HQL count are timed over the stored rows. Prints rows
per second of wall-clock and of the process's CPU time (chDB's threads included: the figure
that decides on a busy machine) and P50/P99 per engine, and writes
bench/results/store-engines-latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

RESULTS = Path(__file__).parent / "results" / "store-engines-latest.json"
ENGINES = ("chdb-core", "connect")
BATCH_ROWS = 2000
ORG = str(uuid.uuid4())
_WORDS = "the quick brown fox jumps over a lazy dog while models answer questions".split()


def log_line(i: int, now: datetime) -> bytes:
    """One logged completion as pipeline/rows.py writes it (about 1 KB of bodies)."""
    created = now - timedelta(milliseconds=i * 37)
    question = " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(60))
    answer = " ".join(_WORDS[(i * 7 + k) % len(_WORDS)] for k in range(80))
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}]}
    response = {
        "id": f"chatcmpl-{i}",
        "choices": [{"message": {"role": "assistant", "content": answer}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 160},
    }
    stamp = created.strftime("%Y-%m-%d %H:%M:%S.") + f"{created.microsecond // 1000:03d}"
    request_text, response_text = orjson.dumps(request).decode(), orjson.dumps(response).decode()
    row = {
        "request_id": str(uuid.uuid4()),
        "organization_id": ORG,
        "request_created_at": stamp,
        "response_created_at": stamp,
        "latency": 300 + i % 2000,
        "time_to_first_token": 120 if i % 3 == 0 else None,
        "status": 200 if i % 10 else 500,
        "model": ("gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet-20241022")[i % 3],
        "provider": ("OPENAI", "OPENAI", "ANTHROPIC")[i % 3],
        "user_id": f"user-{i % 500}",
        "target_url": "https://api.openai.com/v1/chat/completions",
        "properties": {"Environment": ("production", "staging")[i % 2], "App": f"app-{i % 7}"},
        "prompt_tokens": 120,
        "completion_tokens": 160,
        "cost": 2_000_000 + i % 1000,
        "request_body": request_text,
        "response_body": response_text,
        "size_bytes": len(request_text) + len(response_text),
        "storage_location": "clickhouse",
        "updated_at": stamp,
    }
    return orjson.dumps(row) + b"\n"


def _engine(kind: str, path: Path) -> Any:
    if kind == "chdb-core":
        from heliograph.store.chdb_engine import ChdbEngine

        return ChdbEngine(path)
    from heliograph.store.connect_engine import ClickHouseConnectEngine, chdb_url

    return ClickHouseConnectEngine(chdb_url(path))


def _percentiles(timings: list[float]) -> dict[str, float]:
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
    }


async def _insert(
    engine: Any, batches: list[list[bytes]], segment: Path | None
) -> tuple[float, float]:
    """Rows per second through the log sink, from the lines or from a segment file, and
    rows per second of this process's CPU time (chDB's threads included)."""
    from heliograph.pipeline.sink import ClickHouseSink
    from heliograph.store.log_row import LogRow

    sink = ClickHouseSink(engine)
    total, elapsed, cpu = 0, 0.0, 0.0
    for lines in batches:
        rows = [LogRow(line, orjson.loads(line)["request_id"], ORG, False, 0) for line in lines]
        if segment is not None:
            segment.write_bytes(b"".join(lines))
        started, cpu_started = time.perf_counter(), time.process_time()
        await sink.write(rows, segment)
        elapsed += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        total += len(rows)
    return total / elapsed, total / cpu


async def _queries(engine: Any, repeats: int) -> dict[str, Any]:
    from heliograph.hql.execute import HqlLimits
    from heliograph.hql.execute import execute as execute_hql
    from heliograph.store.metrics import Scope, totals
    from heliograph.store.metrics_time import Window
    from heliograph.store.requests import query_requests

    now = datetime.now(UTC)
    scope = Scope(ORG, "all", Window(now - timedelta(days=30), now + timedelta(minutes=1)))
    production = {"request_response_rmt": {"properties": {"Environment": {"equals": "production"}}}}

    async def hql() -> Any:
        sql = "SELECT model, count() AS n FROM request_response_rmt GROUP BY model"
        return await (await execute_hql(engine, ORG, sql, 100, HqlLimits())).read()

    cases = {
        "request query, newest 100": lambda: query_requests(engine, ORG, "all"),
        "request query, property filter": lambda: query_requests(engine, ORG, production),
        "metrics totals": lambda: totals(engine, scope, ("request_count", "total_cost")),
        "hql group by model": hql,
    }
    results = {}
    for name, case in cases.items():
        await case()  # warm-up
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            await case()
            timings.append((time.perf_counter() - started) * 1000)
        results[name] = _percentiles(timings)
    return results


async def measure(kind: str, batches_n: int, repeats: int) -> dict[str, Any]:
    """One engine's figures, on a fresh store in a temporary directory."""
    from heliograph.store.schema import apply_migrations

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="heliograph-engines-") as directory:
        engine = _engine(kind, Path(directory) / "ch")
        await engine.open()
        try:
            await apply_migrations(engine)
            n = 0

            def batches() -> list[list[bytes]]:
                nonlocal n
                made = []
                for _ in range(batches_n):
                    made.append([log_line(n + k, now) for k in range(BATCH_ROWS)])
                    n += BATCH_ROWS
                return made

            from_lines, cpu_lines = await _insert(engine, batches(), None)
            segment = Path(directory) / "seg.jsonl"
            from_file, cpu_file = await _insert(engine, batches(), segment)
            return {
                "insert_rows_per_s_from_lines": round(from_lines),
                "insert_rows_per_cpu_s_from_lines": round(cpu_lines),
                "insert_rows_per_s_from_segment": round(from_file),
                "insert_rows_per_cpu_s_from_segment": round(cpu_file),
                "rows_stored": n,
                "queries": await _queries(engine, repeats),
            }
        finally:
            await engine.close()


INSERT_FIGURES = (
    "insert_rows_per_s_from_lines",
    "insert_rows_per_cpu_s_from_lines",
    "insert_rows_per_s_from_segment",
    "insert_rows_per_cpu_s_from_segment",
)


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds (the machine may be shared: rounds alternate)."""
    figures: dict[str, Any] = {
        name: statistics.median(run[name] for run in runs) for name in INSERT_FIGURES
    }
    figures["queries"] = {
        name: {
            key: statistics.median(run["queries"][name][key] for run in runs)
            for key in ("p50_ms", "p99_ms")
        }
        for name in runs[0]["queries"]
    }
    figures["rounds"] = runs
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="batches of 2,000 rows, twice")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each engine, alternated")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)  # one child's run
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(asyncio.run(measure(args.engine, args.batches, args.repeats))))
        return
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ENGINES}
    for _ in range(args.rounds):
        for kind in ENGINES:
            command = [sys.executable, "-m", "bench.store_engines", "--engine", kind]
            command += ["--batches", str(args.batches), "--repeats", str(args.repeats)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            runs[kind].append(json.loads(out.strip().splitlines()[-1]))
    report: dict[str, Any] = {
        "batch_rows": BATCH_ROWS,
        "batches": args.batches,
        "rounds": args.rounds,
        "engines": {kind: _median_of(kind_runs) for kind, kind_runs in runs.items()},
    }
    for kind, figures in report["engines"].items():
        print(
            f"{kind:10} insert from lines {figures['insert_rows_per_s_from_lines']:>8,.0f} rows/s "
            f"({figures['insert_rows_per_cpu_s_from_lines']:,.0f} per CPU s), from a segment "
            f"{figures['insert_rows_per_s_from_segment']:>8,.0f} rows/s "
            f"({figures['insert_rows_per_cpu_s_from_segment']:,.0f} per CPU s)"
        )
        for name, timing in figures["queries"].items():
            p50, p99 = timing["p50_ms"], timing["p99_ms"]
            print(f"{'':10} {name:34} P50 {p50:7.2f} ms  P99 {p99:7.2f} ms")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

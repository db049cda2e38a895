"""The store process's ingest, per CPU second: batches of log rows handed off as files
(what gateway workers and the log stream's reader give it) adopted by the log pipeline and
stored in chDB, as `serve --workers N` and `serve` with `log_stream` do.

    python -m bench.ingest             # 3 rounds of 15 batches of 2,000 rows per kind
    python -m bench.ingest --smoke     # 1 round of 2 batches

Kinds: `completion` (about 1 KB of bodies a row: bench.store_engines' rows) and `stream`
(the same with a 20-chunk stream's `streamed_data` kept beside the answer, as
pipeline/rows.py stores a stream: about 5 KB). Each round stores each kind on a fresh
store in this process, the kinds alternating; CPU is this process's (chDB's threads and
the pipeline's parsing included), from the first batch adopted to the last row stored.
The targets (issue 23): 20,000 completions and 10,000 streams a CPU second.

Results: a table on stdout and bench/results/ingest-latest.json (ingest-smoke.json).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import report
from bench.store_engines import log_line

RESULTS_DIR = Path(__file__).parent / "results"
BATCH_ROWS = 2000
KINDS = ("completion", "stream")
CHUNKS = 20


def stream_line(i: int, now: datetime) -> bytes:
    """A logged stream: the completion's row with its 20 chunks kept as streamed_data."""
    row = orjson.loads(log_line(i, now))
    body = orjson.loads(row["response_body"])
    answer = body["choices"][0]["message"]["content"]
    words = answer.split()
    step = max(1, len(words) // CHUNKS)
    chunks = [
        orjson.dumps(
            {
                "id": body["id"],
                "object": "chat.completion.chunk",
                "model": row["model"],
                "choices": [{"index": 0, "delta": {"content": " ".join(words[k : k + step])}}],
            }
        ).decode()
        for k in range(0, step * CHUNKS, step)
    ]
    body["streamed_data"] = chunks
    row["response_body"] = orjson.dumps(body).decode()
    return orjson.dumps(row) + b"\n"


async def measure(kind: str, batches: int) -> dict[str, Any]:
    """Rows stored per CPU second and per second, on a fresh store."""
    from heliograph.pipeline.sink import ClickHouseSink
    from heliograph.pipeline.spool import Spool
    from heliograph.pipeline.writer import LogPipeline
    from heliograph.store.chdb_engine import ChdbEngine
    from heliograph.store.schema import apply_migrations

    make = stream_line if kind == "stream" else log_line
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="heliograph-ingest-") as directory:
        root = Path(directory)
        engine = ChdbEngine(root / "ch")
        await engine.open()
        await apply_migrations(engine)
        pipeline = LogPipeline(Spool(root / "spool"), ClickHouseSink(engine), batch_ms=50)
        await pipeline.start()
        handed = root / "handoff"
        handed.mkdir()
        files = []
        for b in range(batches):
            path = handed / f"batch-{b}.jsonl"
            path.write_bytes(b"".join(make(b * BATCH_ROWS + i, now) for i in range(BATCH_ROWS)))
            files.append(path)
        total = batches * BATCH_ROWS
        body_bytes = sum(p.stat().st_size for p in files) / total
        try:
            started, cpu_started = time.perf_counter(), time.process_time()
            for path in files:
                pipeline.adopt(path)
            while pipeline.stats.replayed < total:
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        finally:
            await pipeline.close()
            await engine.close()
    return {
        "kind": kind,
        "rows": total,
        "bytes_a_row": round(body_bytes),
        "rows_per_cpu_s": round(total / cpu),
        "rows_per_s": round(total / elapsed),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="1 round of 2 batches")
    smoke = parser.parse_args().smoke
    rounds, batches = (1, 2) if smoke else (3, 15)
    runs = []
    for round_ in range(rounds):
        for kind in KINDS:
            run = asyncio.run(measure(kind, batches)) | {"round": round_}
            runs.append(run)
            print(
                f"  round {round_} {kind:<10} {run['rows_per_cpu_s']:>8,} rows/CPU-s  "
                f"{run['rows_per_s']:>8,} rows/s  ({run['bytes_a_row']:,} B a row)",
                file=sys.stderr,
                flush=True,
            )
    medians = {
        kind: {
            figure: statistics.median(r[figure] for r in runs if r["kind"] == kind)
            for figure in ("rows_per_cpu_s", "rows_per_s", "bytes_a_row")
        }
        for kind in KINDS
    }
    for kind, figures in medians.items():
        cpu_s, wall = figures["rows_per_cpu_s"], figures["rows_per_s"]
        print(f"{kind:<10} {cpu_s:>8,} rows/CPU-s  {wall:>8,} rows/s")
    out = RESULTS_DIR / ("ingest-smoke.json" if smoke else "ingest-latest.json")
    document = {
        "benchmark": "ingest",
        "machine": report.machine(),
        "medians": medians,
        "runs": runs,
    }
    report.write_json(out, document)
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

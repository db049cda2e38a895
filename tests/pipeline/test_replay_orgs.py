"""Replaying the spool keeps a row whose request id another organization logged first."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson

from heliograph.pipeline.sink import REQUEST_TABLE, ClickHouseSink
from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.log_row import LogRow
from heliograph.store.schema import apply_migrations


def row(request_id: str, org: str) -> bytes:
    """A logged row as pipeline/rows.py writes it: the two ids first."""
    fields = {
        "request_id": request_id,
        "organization_id": org,
        "request_created_at": "2025-03-01 12:00:00.000",
        "status": 200,
        "model": "gpt-4o-mini",
    }
    return orjson.dumps(fields) + b"\n"


def test_replay_keeps_a_row_whose_id_another_organization_stored(tmp_path: Path):
    request_id, org_a, org_b = (str(uuid.uuid4()) for _ in range(3))
    spool_dir = tmp_path / "spool"
    # What a crash leaves: org B's row in a sealed segment, the same id stored for org A.
    spool = Spool(spool_dir)
    spool.append(row(request_id, org_b))
    spool.seal()
    spool.close()

    async def scenario() -> list[dict[str, object]]:
        engine = ChdbEngine(tmp_path / "ch")
        await engine.open()
        try:
            await apply_migrations(engine)
            sink = ClickHouseSink(engine)
            await sink.write([LogRow.from_line(row(request_id, org_a))])
            pipeline = LogPipeline(Spool(spool_dir), sink)
            await pipeline.start()  # replays the segment
            await pipeline.close()
            assert pipeline.stats.skipped_duplicates == 0
            return await engine.select(
                f"SELECT toString(organization_id) AS org FROM {REQUEST_TABLE} "
                "WHERE request_id = {id:UUID} ORDER BY org",
                {"id": request_id},
            )
        finally:
            await engine.close()

    stored = asyncio.run(scenario())
    assert [r["org"] for r in stored] == sorted([org_a, org_b])

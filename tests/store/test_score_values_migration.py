"""A store created before fractional scores (migration m012) upgrades in place: rows scored
before keep their integer scores, and fractional scores work on them afterwards."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson
import pytest

from heliograph.store import schema
from heliograph.store.requests import get_request, query_requests
from heliograph.store.schema import apply_migrations
from heliograph.store.scores import add_scores, score_names
from tests.store.engines import open_engine

ORG = str(uuid.uuid4())


def old_row(request_id: str, scores: dict[str, int]) -> bytes:
    row = {
        "request_id": request_id,
        "organization_id": ORG,
        "request_created_at": "2025-03-01 12:00:00.000",
        "status": 200,
        "model": "gpt-4o-mini",
        "provider": "OPENAI",
        "user_id": "",
        "scores": scores,
    }
    return orjson.dumps(row) + b"\n"


async def upgrade_then_score(kind: str, path: Path) -> None:
    engine = await open_engine(kind, path)
    try:
        before = tuple(m for m in schema.MIGRATIONS if m.name < "m012")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(schema, "MIGRATIONS", before)
            await apply_migrations(engine)
        scored, unscored = str(uuid.uuid4()), str(uuid.uuid4())
        await engine.insert_json_lines(
            "request_response_rmt", [old_row(scored, {"accuracy": 92}), old_row(unscored, {})]
        )

        assert await apply_migrations(engine) == [
            m.name for m in schema.MIGRATIONS if m.name >= "m012"
        ]
        old = await get_request(engine, ORG, scored)
        assert old is not None and old["scores"] == {"accuracy": 92}

        await add_scores(engine, ORG, scored, {"similarity": 0.87})
        await add_scores(engine, ORG, unscored, {"similarity": 0.5})
        upgraded = await get_request(engine, ORG, scored)
        assert upgraded is not None
        assert upgraded["scores"] == {"accuracy": 92, "similarity": 0.87}
        assert await score_names(engine, ORG) == ["accuracy", "similarity"]
        listed = await query_requests(engine, ORG, "all", scored_only=True)
        assert {row["request_id"] for row in listed} == {scored, unscored}
    finally:
        await engine.close()


def test_a_store_from_before_fractional_scores_upgrades_in_place(tmp_path: Path, engine_kind: str):
    asyncio.run(upgrade_then_score(engine_kind, tmp_path / "ch"))

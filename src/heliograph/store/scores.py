"""Scores (and feedback, the `helicone-score-feedback` score) on logged requests.

Scores live in the row's `scores` Map(LowCardinality(String), Int64), as in Helicone. Adding
scores writes a new version of the row, copied inside ClickHouse from the newest version, so
properties, feedback and scores written by concurrent calls (serialized by the engine) never
lose one another.
"""

from __future__ import annotations

from collections.abc import Mapping

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.row_versions import write_new_version

TABLE = "request_response_rmt"


async def request_logged(engine: ClickHouseEngine, organization_id: str, request_id: str) -> bool:
    """Whether the organization has a stored row for this request id."""
    rows = await engine.select(
        f"SELECT 1 AS found FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        "AND request_id = {id:UUID} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    return bool(rows)


async def add_scores(
    engine: ClickHouseEngine, organization_id: str, request_id: str, scores: Mapping[str, int]
) -> None:
    """Write a new version of the request with `scores` merged over its existing scores.

    Does nothing when the request is not stored: check with `request_logged` first.
    """
    await write_new_version(
        engine,
        organization_id,
        request_id,
        "mapUpdate(scores, CAST({scores:Map(String, Int64)}, "
        "'Map(LowCardinality(String), Int64)')) AS scores",
        {"scores": dict(scores)},
    )


async def score_names(engine: ClickHouseEngine, organization_id: str) -> list[str]:
    """Every score name used on the organization's requests (newest versions), sorted."""
    rows = await engine.select(
        "SELECT DISTINCT arrayJoin(mapKeys(scores)) AS name "
        f"FROM {TABLE} FINAL WHERE organization_id = {{org:UUID}} AND notEmpty(scores) "
        "ORDER BY name",
        {"org": organization_id},
    )
    return [row["name"] for row in rows]

"""A session's tag (Helicone's `tags` table, entity type "session"): setting one adds a row,
the newest row is the tag. Organization-scoped like every read."""

from __future__ import annotations

from heliograph.store.engine import ClickHouseEngine

SESSION = "session"
MAX_TAG_CHARS = 256


async def session_tag(
    engine: ClickHouseEngine, organization_id: str, session_id: str
) -> str | None:
    rows = await engine.select(
        "SELECT tag FROM tags WHERE organization_id = {org:UUID} "
        "AND entity_type = {kind:String} AND entity_id = {id:String} "
        "ORDER BY created_at DESC LIMIT 1",
        {"org": organization_id, "kind": SESSION, "id": session_id},
    )
    return str(rows[0]["tag"]) if rows else None


async def tag_session(
    engine: ClickHouseEngine, organization_id: str, session_id: str, tag: str
) -> None:
    await engine.execute(
        "INSERT INTO tags (organization_id, entity_type, entity_id, tag) "
        "SELECT {org:UUID}, {kind:String}, {id:String}, {tag:String}",
        {"org": organization_id, "kind": SESSION, "id": session_id, "tag": tag},
    )

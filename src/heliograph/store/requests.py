"""Reading logged requests back in Helicone's request-row shape (`HeliconeRequest`).

Rows are selected with their stored column names and renamed in Python: aliasing in SQL
(`status AS response_status`, `toString(request_id) AS request_id`) would shadow the
columns that WHERE and ORDER BY refer to.
"""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import FEEDBACK_SCORE, compile_filter
from heliograph.store.newest import NEWEST_FIRST, newest_rows
from heliograph.store.params import Params
from heliograph.store.request_assets import request_assets
from heliograph.store.scores import SCORED
from heliograph.store.sorting import compile_sort

TABLE = "request_response_rmt"
ROW_COLUMNS = (
    "response_id, response_body, response_created_at, status, request_id, request_body, "
    "request_created_at, user_id, properties, provider, latency, model, ai_gateway_body_mapping, "
    "time_to_first_token, completion_tokens, reasoning_tokens, prompt_tokens, "
    "prompt_cache_read_tokens, prompt_cache_write_tokens, prompt_audio_tokens, "
    "completion_audio_tokens, country_code, scores, score_values, target_url, "
    "cache_reference_id, request_referrer, cache_enabled, cost, prompt_id, prompt_version, "
    "updated_at, storage_location, size_bytes, moderation, moderation_categories, threat"
)
SUMMARY_COLUMNS = ROW_COLUMNS.replace("response_body, ", "").replace("request_body, ", "")


def _parsed(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    if not text:
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


TOKEN_DETAILS = (
    "reasoning_tokens",
    "prompt_cache_read_tokens",
    "prompt_cache_write_tokens",
    "prompt_audio_tokens",
    "completion_audio_tokens",
)


def to_helicone_request(row: dict[str, Any], *, asset_urls: bool = False) -> dict[str, Any]:
    """A stored row as the API returns it: Helicone's field names, bodies parsed. The images
    in its bodies are its assets; their URLs only with `asset_urls` (Helicone signs them
    for one request read by id, not for a page of rows)."""
    request_body = _parsed(row.get("request_body", {}))
    response_body = _parsed(row.get("response_body", {}))
    assets = request_assets(str(row.get("request_id")), request_body, response_body)
    cost = (row.get("cost") or 0) / 1_000_000_000
    # Integer and fractional scores live in two maps (store/scores.py), a name in one of them.
    scores = {**(row.get("scores") or {}), **(row.get("score_values") or {})}
    feedback = scores.get(FEEDBACK_SCORE)
    return {
        "response_id": row.get("response_id"),
        "response_body": response_body,
        "response_created_at": row.get("response_created_at"),
        "response_status": row.get("status"),
        "response_model": response_body.get("model") if isinstance(response_body, dict) else None,
        "request_id": row.get("request_id"),
        "request_body": request_body,
        "request_created_at": row.get("request_created_at"),
        "request_user_id": row.get("user_id"),
        "request_properties": row.get("properties") or {},
        "request_model": row.get("model"),
        "request_path": row.get("target_url"),
        "model": row.get("model"),
        "model_override": None,
        "provider": row.get("provider"),
        "delay_ms": row.get("latency"),
        "time_to_first_token": row.get("time_to_first_token"),
        **_tokens(row),
        "ai_gateway_body_mapping": row.get("ai_gateway_body_mapping"),
        "country_code": row.get("country_code"),
        "scores": scores,
        "properties": row.get("properties") or {},
        "asset_ids": list(assets),
        "asset_urls": assets if asset_urls else {},
        "assets": list(assets),
        "target_url": row.get("target_url"),
        "cache_reference_id": row.get("cache_reference_id"),
        "cache_enabled": bool(row.get("cache_enabled")),
        "request_referrer": row.get("request_referrer"),
        "cost": cost,
        "costUSD": cost,
        "prompt_id": row.get("prompt_id"),
        "prompt_version": row.get("prompt_version"),
        "updated_at": row.get("updated_at"),
        "storage_location": row.get("storage_location"),
        "size_bytes": row.get("size_bytes"),
        "signed_body_url": None,
        "helicone_user": None,  # the dashboard user behind a call: not kept in a row
        "llmSchema": None,  # Helicone's frontend maps bodies to it; Jawn's rows leave it null
        "feedback_rating": None if feedback is None else bool(feedback),
        "feedback_id": None,
        "feedback_created_at": None,
        **_moderation(row),
    }


def _moderation(row: dict[str, Any]) -> dict[str, Any]:
    """Heliograph's own fields: Helicone-Moderations-Enabled's check ("" when not checked)
    and Helicone-LLM-Security-Enabled's (None when not checked)."""
    return {
        "moderation": row.get("moderation") or "",
        "moderation_categories": list(row.get("moderation_categories") or []),
        "threat": row.get("threat"),
    }


def _tokens(row: dict[str, Any]) -> dict[str, Any]:
    prompt, completion = row.get("prompt_tokens"), row.get("completion_tokens")
    return {
        "total_tokens": (prompt or 0) + (completion or 0),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        **{name: row.get(name) for name in TOKEN_DETAILS},
    }


async def get_request(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> dict[str, Any] | None:
    """The newest version of one request of one organization, or None."""
    rows = await engine.select(
        f"SELECT {ROW_COLUMNS} FROM {TABLE} "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    return to_helicone_request(rows[0], asset_urls=True) if rows else None


async def get_requests(
    engine: ClickHouseEngine, organization_id: str, request_ids: list[str]
) -> list[dict[str, Any]]:
    """The newest version of each listed request of one organization, newest request first."""
    if not request_ids:
        return []
    rows = await engine.select(
        f"SELECT {ROW_COLUMNS} FROM {TABLE} "
        "WHERE organization_id = {org:UUID} AND request_id IN {ids:Array(UUID)} "
        f"{NEWEST_FIRST} LIMIT 1 BY request_id",
        {"org": organization_id, "ids": request_ids},
    )
    rows.sort(key=lambda row: (str(row["request_created_at"]), row["request_id"]), reverse=True)
    return [to_helicone_request(row) for row in rows]


async def _matching(
    engine: ClickHouseEngine,
    organization_id: str,
    filter_node: Any,
    params: Params,
    *,
    cached_only: bool,
    scored_only: bool,
) -> str:
    """A subquery of the organization's newest rows that match the filter and flags."""
    conditions = [
        "request_created_at <= now64(3) + INTERVAL 5 MINUTE",
        compile_filter(filter_node, params, organization_id),
    ]
    if cached_only:
        conditions.append("cache_reference_id != toUUID('00000000-0000-0000-0000-000000000000')")
    if scored_only:
        conditions.append(SCORED)
    return await newest_rows(engine, organization_id, params, " AND ".join(conditions))


async def count_requests(
    engine: ClickHouseEngine,
    organization_id: str,
    filter_node: Any,
    *,
    cached_only: bool = False,
    scored_only: bool = False,
) -> int:
    """How many of an organization's requests match a filter AST (each request once)."""
    params = Params()
    source = await _matching(
        engine,
        organization_id,
        filter_node,
        params,
        cached_only=cached_only,
        scored_only=scored_only,
    )
    rows = await engine.select(f"SELECT count() AS n FROM {source}", params.values)
    return int(rows[0]["n"]) if rows else 0


async def query_requests(
    engine: ClickHouseEngine,
    organization_id: str,
    filter_node: Any,
    *,
    sort: Any = None,
    limit: int = 100,
    offset: int = 0,
    cached_only: bool = False,
    scored_only: bool = False,
    include_bodies: bool = True,
) -> list[dict[str, Any]]:
    """One page of an organization's requests matching a filter AST, newest versions only."""
    params = Params()
    source = await _matching(
        engine,
        organization_id,
        filter_node,
        params,
        cached_only=cached_only,
        scored_only=scored_only,
    )
    order = compile_sort(sort, params)
    # Two steps: find the page's ids reading only the filter and sort columns, then fetch
    # whole rows (bodies are most of the bytes) for just those ids.
    page = await engine.select(
        f"SELECT toString(request_id) AS id, toString(request_created_at) AS created "
        f"FROM {source} ORDER BY {order} LIMIT {params.add(limit, 'UInt32')} "
        f"OFFSET {params.add(offset, 'UInt64')}",
        params.values,
    )
    if not page:
        return []
    columns = ROW_COLUMNS if include_bodies else SUMMARY_COLUMNS
    rows = await engine.select(
        f"SELECT {columns} FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        "AND request_id IN {ids:Array(UUID)} "
        "AND request_created_at BETWEEN {first:DateTime64(3, 'UTC')} "
        "AND {last:DateTime64(3, 'UTC')} "
        f"{NEWEST_FIRST} LIMIT 1 BY request_id",
        {
            "org": organization_id,
            "ids": [entry["id"] for entry in page],
            "first": min(entry["created"] for entry in page),
            "last": max(entry["created"] for entry in page),
        },
    )
    by_id = {row["request_id"]: row for row in rows}
    return [to_helicone_request(by_id[entry["id"]]) for entry in page if entry["id"] in by_id]

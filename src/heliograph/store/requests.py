"""Reading logged requests back in Helicone's request-row shape (`HeliconeRequest`)."""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.store.engine import ClickHouseEngine

# Column expressions of Helicone's request row, in its field names.
REQUEST_ROW_COLUMNS = """
    toString(response_id) AS response_id,
    response_body,
    toString(response_created_at) AS response_created_at,
    toInt32(status) AS response_status,
    toString(request_id) AS request_id,
    request_body,
    toString(request_created_at) AS request_created_at,
    user_id AS request_user_id,
    properties AS request_properties,
    provider,
    toInt32(latency) AS delay_ms,
    model AS request_model,
    ai_gateway_body_mapping,
    time_to_first_token,
    prompt_tokens + completion_tokens AS total_tokens,
    completion_tokens,
    reasoning_tokens,
    prompt_tokens,
    prompt_cache_read_tokens,
    prompt_cache_write_tokens,
    prompt_audio_tokens,
    completion_audio_tokens,
    country_code,
    scores,
    properties,
    assets AS asset_ids,
    target_url,
    toString(cache_reference_id) AS cache_reference_id,
    request_referrer,
    cache_enabled,
    cost / 1000000000 AS cost,
    prompt_id,
    prompt_version,
    toString(updated_at) AS updated_at,
    storage_location,
    size_bytes
"""


def _parsed(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return {} if text == "" else text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def to_helicone_request(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API returns it: bodies parsed, Helicone's extra fields present."""
    row["request_body"] = _parsed(row.get("request_body"))
    row["response_body"] = _parsed(row.get("response_body"))
    row["model"] = row.get("request_model")
    row["response_model"] = (
        row["response_body"].get("model") if isinstance(row["response_body"], dict) else None
    )
    row["helicone_user"] = None
    row["model_override"] = None
    row["request_path"] = row.get("target_url")
    row["signed_body_url"] = None
    row["asset_urls"] = {}
    feedback = (row.get("scores") or {}).get("helicone-score-feedback")
    row["feedback_rating"] = None if feedback is None else bool(feedback)
    row["feedback_id"] = None
    row["feedback_created_at"] = None
    return row


async def get_request(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> dict[str, Any] | None:
    """The newest version of one request of one organization, or None."""
    rows = await engine.select(
        f"SELECT {REQUEST_ROW_COLUMNS} FROM (SELECT * FROM request_response_rmt "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        "ORDER BY updated_at DESC LIMIT 1)",
        {"org": organization_id, "id": request_id},
    )
    return to_helicone_request(rows[0]) if rows else None

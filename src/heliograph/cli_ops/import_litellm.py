"""LiteLLM's spend logs (rows of its `LiteLLM_SpendLogs` table, exported as JSON, JSONL or
CSV, or as `/spend/logs` returns them) as ImportedCalls.

A row has `request_id` (often `chatcmpl-...`, not a UUID: the call's id is derived from it
and kept as the `LiteLLM-Request-Id` property), `startTime`, `endTime`,
`completionStartTime`, `model`, `model_group`, `custom_llm_provider`, `api_base`, `spend`
(USD), the token counts, `user` and `end_user`, `metadata` (JSON), `request_tags` (a JSON
list), `session_id`, `status`, and `messages`, `response` and `proxy_server_request` when
LiteLLM stored prompts. `api_key` is the hash of a LiteLLM key: it is never imported, nor
the hash LiteLLM repeats in `metadata.user_api_key`.
"""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.cli_ops.import_call import (
    BadRecord,
    ImportedCall,
    count,
    json_value,
    moment,
    number,
    request_uuid,
    text_of,
)
from heliograph.usage import Usage

# metadata entries left out: key hashes (never imported), the client's IP address, and
# what a column of the row already gives.
LEFT_OUT_METADATA = frozenset(
    {"user_api_key", "user_api_key_hash", "api_key", "requester_ip_address", "status"}
)
FAILED_STATUS = 500  # LiteLLM records `status: failure` without the HTTP status it got


def litellm_call(record: dict[str, Any]) -> ImportedCall:
    request_id, is_uuid = request_uuid(record.get("request_id"), "litellm")
    started = moment(record.get("startTime"), "startTime")
    ended = moment(record.get("endTime") or record.get("startTime"), "endTime")
    if ended < started:
        raise BadRecord("endTime is before startTime")
    properties = _properties(record)
    if not is_uuid:
        properties["LiteLLM-Request-Id"] = text_of(record["request_id"])
    return ImportedCall(
        request_id=request_id,
        started_at=started,
        ended_at=ended,
        model=text_of(record.get("model") or record.get("model_group")),
        provider=text_of(record.get("custom_llm_provider")).upper() or None,
        target_url=text_of(record.get("api_base")),
        status=FAILED_STATUS if text_of(record.get("status")) == "failure" else 200,
        request_body=_request_body(record),
        response_body=_body(record.get("response")),
        time_to_first_token_ms=_ttft(record, started),
        user_id=text_of(record.get("end_user") or record.get("user")) or None,
        properties=properties,
        cost_usd=number(record.get("spend"), "spend"),
        usage=_usage(record),
    )


def _usage(record: dict[str, Any]) -> Usage:
    prompt = count(record.get("prompt_tokens"), "prompt_tokens") or 0
    completion = count(record.get("completion_tokens"), "completion_tokens") or 0
    metadata = _metadata(record)
    usage = metadata.get("usage_object")
    details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(prompt, completion, cache_read_tokens=count(cached, "cached_tokens") or 0)


def _ttft(record: dict[str, Any], started: float) -> float | None:
    if not record.get("completionStartTime"):
        return None
    first = moment(record["completionStartTime"], "completionStartTime")
    return max(0.0, (first - started) * 1000)


def _body(value: Any) -> Any:
    parsed = json_value(value)
    return None if parsed in ({}, [], "", None) else parsed


def _request_body(record: dict[str, Any]) -> Any:
    """The proxy's request as sent when LiteLLM kept it, else its messages."""
    proxied = _body(record.get("proxy_server_request"))
    if isinstance(proxied, dict):
        return proxied
    messages = _body(record.get("messages"))
    if isinstance(messages, list):
        return {"model": text_of(record.get("model")), "messages": messages}
    return messages


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    metadata = json_value(record.get("metadata"))
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise BadRecord("metadata is not an object")
    return metadata


def _properties(record: dict[str, Any]) -> dict[str, str]:
    """The caller's own metadata (`spend_logs_metadata`), LiteLLM's plain metadata values
    (key alias, team, user...), the tags, and the columns no other field holds."""
    metadata = _metadata(record)
    properties: dict[str, str] = {}
    for name, value in metadata.items():
        if name not in LEFT_OUT_METADATA and value != "" and _is_plain(value):
            properties[name] = _text(value)
    own = metadata.get("spend_logs_metadata")
    if isinstance(own, dict):
        properties.update({name: _text(value) for name, value in own.items() if value is not None})
    tags = json_value(record.get("request_tags"))
    if isinstance(tags, list) and tags:
        properties["LiteLLM-Tags"] = ",".join(text_of(tag) for tag in tags)
    for column, name in (("call_type", "LiteLLM-Call-Type"), ("model_group", "LiteLLM-Model-Group"),
                         ("cache_hit", "LiteLLM-Cache-Hit"), ("team_id", "LiteLLM-Team-Id"),
                         ("session_id", "Helicone-Session-Id")):  # fmt: skip
        if text_of(record.get(column)):
            properties[name] = text_of(record[column])
    api_key = text_of(record.get("api_key"))
    return {name: value for name, value in properties.items() if not api_key or value != api_key}


def _is_plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()

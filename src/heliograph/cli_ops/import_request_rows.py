"""Helicone's request rows (`HeliconeRequest`) as ImportedCalls: what `heliograph export`
writes, and what Helicone's export script (`examples/export` in Helicone's repository)
writes from the same API.

Heliograph's export has every field (JSONL; CSV and Parquet with nested values as JSON
text). Helicone's script writes the rows of `/v1/request/query-clickhouse` as JSONL or as a
JSON array, or a CSV of twelve columns: `response_id` (no `request_id`: Helicone's ids are
read from it), `response_created_at`, `response_status`, `request_created_at`,
`request_body`, `request_properties`, `request_user_id`, `model`, `prompt_tokens`,
`completion_tokens`, `latency` and `cost_usd` (`cost` in older versions). Its bodies are
empty unless it ran with `--include-body`.
"""

from __future__ import annotations

from typing import Any

from heliograph.cli_ops.import_call import (
    BadRecord,
    ImportedCall,
    count,
    json_value,
    moment,
    number,
    properties_of,
    request_uuid,
    text_of,
)
from heliograph.usage import Usage

USAGE_COLUMNS = {
    "prompt_tokens": "prompt_tokens",
    "completion_tokens": "completion_tokens",
    "cache_read_tokens": "prompt_cache_read_tokens",
    "cache_write_tokens": "prompt_cache_write_tokens",
    "prompt_audio_tokens": "prompt_audio_tokens",
    "completion_audio_tokens": "completion_audio_tokens",
    "reasoning_tokens": "reasoning_tokens",
}
# The cost in USD, by the names Heliograph's API, Helicone's script and its Python
# example give it.
COST_FIELDS = ("cost", "cost_usd", "costUSD")
FRACTION_S = 0.0006  # 0.6 ms: within the stored millisecond, past the latency's rounding


def heliograph_call(record: dict[str, Any]) -> ImportedCall:
    """A row of `heliograph export`: its own request id, which must be a UUID."""
    _, is_uuid = request_uuid(record.get("request_id"), "heliograph")
    if not is_uuid:
        raise BadRecord(f"request_id is not a UUID: {record.get('request_id')!r}")
    return request_row_call(record, "heliograph")


def helicone_call(record: dict[str, Any]) -> ImportedCall:
    """A row of Helicone's export script: the CSV has only the response id."""
    return request_row_call(record, "helicone")


def request_row_call(record: dict[str, Any], source: str) -> ImportedCall:
    request_id, _ = request_uuid(record.get("request_id") or record.get("response_id"), source)
    started, ended = _times(record)
    return ImportedCall(
        request_id=request_id,
        started_at=started,
        ended_at=ended,
        model=text_of(
            record.get("model") or record.get("request_model") or record.get("response_model")
        ),
        provider=text_of(record.get("provider")) or None,
        target_url=text_of(record.get("target_url") or record.get("request_path")),
        status=count(record.get("response_status"), "response_status") or 0,
        request_body=json_value(record.get("request_body")),
        response_body=json_value(record.get("response_body")),
        time_to_first_token_ms=number(record.get("time_to_first_token"), "time_to_first_token"),
        user_id=text_of(record.get("request_user_id")) or None,
        properties=properties_of(record.get("request_properties"), "request_properties"),
        cost_usd=_cost(record),
        usage=_usage(record),
    )


def _times(record: dict[str, Any]) -> tuple[float, float]:
    """Start and end, such that the row stores the same two times and the same latency.

    A row stores both times cut to the millisecond but its latency rounded from the whole
    times, so the latency can be one more or less than the difference of the two; a start
    or end a fraction of a millisecond on keeps all three as they were.
    """
    started = moment(record.get("request_created_at"), "request_created_at")
    latency = number(record.get("delay_ms", record.get("latency")), "delay_ms")
    if not record.get("response_created_at"):
        return started, started + (latency or 0.0) / 1000
    ended = moment(record["response_created_at"], "response_created_at")
    if ended < started:
        raise BadRecord("response_created_at is before request_created_at")
    apart = round((ended - started) * 1000)
    if latency == apart - 1:
        return started + FRACTION_S, ended
    if latency == apart + 1:
        return started, ended + FRACTION_S
    return started, ended


def _cost(record: dict[str, Any]) -> float | None:
    for name in COST_FIELDS:
        cost = number(record.get(name), name)
        if cost is not None:
            return cost
    return None


def _usage(record: dict[str, Any]) -> Usage | None:
    counts = {name: count(record.get(column), column) for name, column in USAGE_COLUMNS.items()}
    if counts["prompt_tokens"] is None and counts["completion_tokens"] is None:
        return None  # the source did not count: the response body may say
    return Usage(**{name: value or 0 for name, value in counts.items()})

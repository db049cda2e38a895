"""Turning one finished LLM call into a `request_response_rmt` row (store/log_row.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from heliograph.costs.catalog import COST_PRECISION_MULTIPLIER, ModelPrice, PriceCatalog
from heliograph.providers.base import ReadsBinaryStreams, ResponseSummary, WireFormat
from heliograph.providers.sse import parse_events
from heliograph.redact import redact_url
from heliograph.store.log_row import NEW_ID_FIELD, LogRow
from heliograph.usage import Usage

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def new_request_id() -> str:
    """A random (version 4) UUID string, as str(uuid.uuid4()) gives, in a fifth of its time."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(slots=True)
class LoggedCall:
    """Everything known about one call when it ends, before any parsing."""

    request_id: str
    organization_id: str
    provider: str
    target_url: str
    wire: WireFormat
    started_at: float  # epoch seconds
    request_body: bytes
    request_json: Any = None  # parsed request body, None when it is not JSON
    proxy_key_id: str | None = None
    status: int = 0
    ended_at: float = 0.0
    first_byte_at: float | None = None
    response_body: bytes = b""  # for a stream: the raw SSE bytes
    is_stream: bool = False
    user_id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    model_override: str | None = None
    omit_request: bool = False
    omit_response: bool = False
    error: str | None = None  # what went wrong on our side of the call, if anything
    cache_enabled: bool = False
    cache_reference_id: str | None = None  # set on a cache hit: the call that was cached
    rate_limited: bool = False
    given_cost_nano: int | None = None  # a cost the caller reported (async logs), not priced
    # The price of the endpoint that ran, when the gateway chose it from Helicone's model
    # registry: it prices the call instead of a catalog look-up by provider and model.
    price: ModelPrice | None = None
    given_usage: Usage | None = None  # token counts the caller reported, over the body's
    id_is_new: bool = False  # made up by new_request_id for this call, not sent by the caller
    # The saved prompt the gateway assembled the request from, else the legacy
    # Helicone-Prompt-Id (production mode only, as Helicone logs it); and its version's id,
    # else Helicone-Prompt-Version as sent.
    prompt_id: str = ""
    prompt_version: str = ""
    prompt_inputs: dict[str, Any] | None = None  # and the inputs it was filled with
    # Helicone-Moderations-Enabled's check (gateway/moderation.py): "" when not checked, else
    # clean, flagged, error_allowed or error_blocked; and the categories it flagged.
    moderation: str = ""
    moderation_categories: tuple[str, ...] = ()
    # Helicone-LLM-Security-Enabled's base tier (heliograph/security): None when not checked.
    threat: bool | None = None


@dataclass
class RowStats:
    unknown_cost_models: dict[str, int] = field(default_factory=dict)


_second_cache: dict[int, str] = {}


def clickhouse_time(epoch_s: float) -> str:
    """`YYYY-MM-DD HH:MM:SS.mmm` in UTC; the per-second prefix is cached (hot path)."""
    second = int(epoch_s)
    prefix = _second_cache.get(second)
    if prefix is None:
        if len(_second_cache) > 64:
            _second_cache.clear()
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S")
        _second_cache[second] = prefix
    # The float epoch of e.g. 1677721748.123 is 1677721748.12299990: nudge by a microsecond
    # so that a given millisecond stays that millisecond.
    return f"{prefix}.{min(999, int((epoch_s - second) * 1000 + 0.001)):03d}"


def _ms(later: float, earlier: float) -> int:
    return max(0, round((later - earlier) * 1000))


class RowBuilder:
    def __init__(self, catalog: PriceCatalog) -> None:
        self.catalog = catalog
        self.stats = RowStats()

    def summarize(self, call: LoggedCall) -> tuple[ResponseSummary, Any]:
        """The response's model/usage and the JSON to store as its body."""
        if call.is_stream:
            events = parse_events(call.response_body)
            summary = call.wire.assemble_stream(events)
            stored: Any = dict(summary.body) if isinstance(summary.body, dict) else {}
            stored["streamed_data"] = [event.data for event in events]
            return summary, stored
        try:
            body = orjson.loads(call.response_body) if call.response_body else None
        except orjson.JSONDecodeError:
            if isinstance(call.wire, ReadsBinaryStreams):  # relayed whole, like any other body
                binary = call.wire.assemble_binary(call.response_body)
                if binary is not None:
                    return binary, binary.body
            return ResponseSummary(None, None), call.response_body.decode("utf-8", "replace")
        return call.wire.summarize(body), body

    def _cost(self, call: LoggedCall, model: str, usage: Usage | None) -> int:
        """What the call cost in nano-USD: as the caller reported it, else as priced."""
        if call.given_cost_nano is not None:
            return call.given_cost_nano
        if usage is None or not model:
            return 0
        if call.price is not None:
            return round(call.price.cost_usd(usage) * COST_PRECISION_MULTIPLIER)
        priced = self.catalog.cost_nano_usd(call.provider, model, usage)
        if priced is None:
            key = f"{call.provider}/{model}"
            self.stats.unknown_cost_models[key] = self.stats.unknown_cost_models.get(key, 0) + 1
            return 0
        return priced

    def build(self, call: LoggedCall) -> LogRow:
        """The call's row; the call itself is left as it is."""
        summary, response = self.summarize(call)
        request = call.request_json if isinstance(call.request_json, dict) else {}
        model = call.model_override or _text(request.get("model")) or summary.model or ""
        user_id = call.user_id if call.user_id is not None else _text(request.get("user"))
        usage = call.given_usage or summary.usage
        cost = self._cost(call, model, usage)
        saved = 0
        if call.cache_reference_id is not None:  # a hit costs nothing; what it saved is kept
            saved, cost = cost, 0
        if call.error is not None:
            response = (
                {"heliograph_error": call.error, "partial": response}
                if response
                else {"heliograph_error": call.error}
            )
        request_text = "" if call.omit_request else call.request_body.decode("utf-8", "replace")
        response_text = "" if call.omit_response else _as_text(response)
        row = {
            "request_id": call.request_id,
            "organization_id": call.organization_id,
            NEW_ID_FIELD: call.id_is_new,
            "request_created_at": clickhouse_time(call.started_at),
            "response_created_at": clickhouse_time(call.ended_at),
            "response_id": call.request_id,
            "latency": _ms(call.ended_at, call.started_at),
            "time_to_first_token": (
                _ms(call.first_byte_at, call.started_at) if call.first_byte_at else None
            ),
            "status": call.status,
            "model": model,
            "provider": call.provider,
            "user_id": user_id or "",
            "proxy_key_id": call.proxy_key_id,
            "target_url": redact_url(call.target_url),
            "properties": call.properties,
            "prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None,
            "prompt_cache_read_tokens": usage.cache_read_tokens if usage else 0,
            "prompt_cache_write_tokens": usage.cache_write_tokens if usage else 0,
            "prompt_audio_tokens": usage.prompt_audio_tokens if usage else 0,
            "completion_audio_tokens": usage.completion_audio_tokens if usage else 0,
            "reasoning_tokens": usage.reasoning_tokens if usage else 0,
            "cost": cost,
            "prompt_id": call.prompt_id,
            "prompt_version": call.prompt_version,
            "prompt_inputs": _inputs_text(call),
            "cache_enabled": call.cache_enabled,
            "cache_reference_id": call.cache_reference_id or ZERO_UUID,
            "cache_saved_cost": saved,
            "rate_limited": call.rate_limited,
            "moderation": call.moderation,
            "moderation_categories": call.moderation_categories,
            "threat": call.threat,
            "request_body": request_text,
            "response_body": response_text,
            "size_bytes": min(len(request_text) + len(response_text), 2**32 - 1),
            "storage_location": "clickhouse",
            "updated_at": clickhouse_time(call.ended_at),
        }
        line = orjson.dumps(row) + b"\n"
        return LogRow(line, call.request_id, call.organization_id, call.id_is_new, cost)


def _inputs_text(call: LoggedCall) -> str:
    """An assembled prompt's inputs as JSON; none when the request body is omitted (they
    are part of it)."""
    if call.prompt_inputs is None or call.omit_request:
        return ""
    return orjson.dumps(call.prompt_inputs).decode()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()

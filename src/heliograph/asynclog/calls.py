"""An async log (manual logger, LiteLLM's callback) as the LoggedCall a proxied call makes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.asynclog.custom_format import CUSTOM_FORMAT
from heliograph.asynclog.headers import Header, layered_headers, mapping_headers
from heliograph.asynclog.payload import AsyncLog, parse_async_log
from heliograph.asynclog.responses import (
    custom_model_name,
    decode_response,
    given_cost_usd,
    ttft_from_body,
)
from heliograph.costs.catalog import COST_PRECISION_MULTIPLIER, PriceCatalog
from heliograph.errors import InvalidRequestError
from heliograph.helicone_headers import HeliconeHeaders, property_warnings
from heliograph.meta.keys import Principal
from heliograph.pipeline.call_record import open_call
from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.providers.base import WireFormat
from heliograph.providers.registry import ANTHROPIC_FORMAT, OPENAI_FORMAT
from heliograph.store.log_row import LogRow


@dataclass(frozen=True, slots=True)
class LogEndpoint:
    """What one async-log path implies: its provider (None: read it from the log), its wire,
    and the provider of a log that names none (whose URL gives none away either)."""

    provider: str | None
    wire: WireFormat
    fallback_provider: str = "CUSTOM"


INT64_LIMIT = 2**63

LOG_ENDPOINTS = {
    "/oai/v1/log": LogEndpoint("OPENAI", OPENAI_FORMAT),
    "/anthropic/v1/log": LogEndpoint("ANTHROPIC", ANTHROPIC_FORMAT),
    "/custom/v1/log": LogEndpoint(None, CUSTOM_FORMAT),
    # Jawn's TraceController: the same body, but a log naming no provider is OpenAI's there.
    "/v1/trace/custom/log": LogEndpoint(None, CUSTOM_FORMAT, "OPENAI"),
    "/v1/trace/custom/v1/log": LogEndpoint(None, CUSTOM_FORMAT, "OPENAI"),
    "/v1/trace/custom/log/typed": LogEndpoint(None, CUSTOM_FORMAT, "OPENAI"),
}


def logged_call(
    log: AsyncLog,
    endpoint: LogEndpoint,
    headers: HeliconeHeaders,
    principal: Principal,
    catalog: PriceCatalog,
) -> LoggedCall:
    """The call as the RowBuilder takes it; the organization is always the caller's key's."""
    response = decode_response(log)
    # A custom log names its provider, or its upstream URL gives it away (LiteLLM logs
    # Gemini calls to /custom/v1/log with Google's URL); else the path's fallback, as in
    # Helicone (CUSTOM on the worker's paths, OPENAI on Jawn's).
    provider = (
        endpoint.provider
        or log.provider
        or catalog.provider_for_url(log.url)
        or endpoint.fallback_provider
    )
    ttft = log.ttft_ms if log.ttft_ms is not None else ttft_from_body(log.response_json)
    cost = given_cost_usd(log, response)
    model_name = None
    if endpoint.provider is None:
        model_name = custom_model_name(log.request_json, log.response_json)
    call = open_call(
        headers,
        principal.organization_id,
        principal.key_id or None,
        provider=provider,
        target_url=log.url,
        wire=endpoint.wire,
        started_at=log.started_at,
        request_body=orjson.dumps(log.request_json),
        request_json=log.request_json,
        model=model_name,
    )
    call.status, call.ended_at = log.status, log.ended_at
    call.first_byte_at = None if ttft is None else log.started_at + ttft / 1000
    call.response_body, call.is_stream = response.data, response.is_stream
    call.given_cost_nano = None if cost is None else round(cost * COST_PRECISION_MULTIPLIER)
    call.given_usage = log.usage
    return call


def document_row(
    document: Any,
    endpoint: LogEndpoint,
    sent: Iterable[Header],
    principal: Principal,
    rows: RowBuilder,
    now: float,
) -> tuple[LogRow, list[str]]:
    """One async-log body's row and its property warnings: what `POST /custom/v1/log`
    stores, and what `heliograph import` builds offline. `sent` are the HTTP headers, which
    win over the body's meta. Raises InvalidRequestError (or PropertiesTooLarge) for a bad
    log, before anything is built."""
    call, warnings = document_call(document, endpoint, sent, principal, rows.catalog, now)
    return build_row(rows, call), warnings


def document_call(
    document: Any,
    endpoint: LogEndpoint,
    sent: Iterable[Header],
    principal: Principal,
    catalog: PriceCatalog,
    now: float,
) -> tuple[LoggedCall, list[str]]:
    """One async-log body's call (before its row is built) and its property warnings."""
    payload = parse_async_log(document, now)
    headers = layered_headers(mapping_headers(payload.meta), sent)
    warnings = property_warnings(headers.properties)
    return logged_call(payload, endpoint, headers, principal, catalog), warnings


def build_row(rows: RowBuilder, call: LoggedCall) -> LogRow:
    """The call's row, refused (400) when ClickHouse would not take it: a row the store
    rejects would stay at the head of the log pipeline's spool, retried forever."""
    try:
        row = rows.build(call)
    except orjson.JSONEncodeError:  # a count past 64 bits
        raise InvalidRequestError("Invalid log: a token count is out of range") from None
    for key, value in orjson.loads(row.line).items():
        if isinstance(value, int) and not -INT64_LIMIT <= value < INT64_LIMIT:
            raise InvalidRequestError(f"Invalid log: '{key}' is out of range ({value})")
    if row.cost_nano < 0:
        raise InvalidRequestError("Invalid log: the token counts give a negative cost")
    return row

"""REST: logging calls made without the proxy (manual loggers, LiteLLM's callback, OTLP).

- `POST /custom/v1/log`, `/oai/v1/log`, `/anthropic/v1/log`: Helicone's async-log body.
- `POST /v1/traces`: OTLP/HTTP traces, JSON or protobuf, OpenTelemetry GenAI spans.
- `POST /v1/trace/log`: Helicone's name for the same OTLP/JSON document (answers 204).

Jawn's other trace routes (`/v1/trace/custom/...`, `/v1/trace/log-python`) are in
trace_log.py, on the helpers here.

Each logged call becomes one `request_response_rmt` row built by the same RowBuilder and
pipeline as a proxied call. The organization is always the key's, never the body's.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from heliograph.api.auth import Caller
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import ok
from heliograph.api.services import services_of
from heliograph.asynclog.calls import LOG_ENDPOINTS, build_row, document_call
from heliograph.asynclog.genai import association_headers, is_llm_span, span_call
from heliograph.asynclog.headers import http_headers, layered_headers
from heliograph.asynclog.otlp import (
    SpanBatch,
    export_response,
    export_response_protobuf,
    spans_from_json,
    spans_from_protobuf,
)
from heliograph.errors import HeliographError, InvalidRequestError
from heliograph.helicone_headers import PropertiesTooLarge, property_warnings
from heliograph.meta.keys import Principal
from heliograph.pipeline.rows import RowBuilder
from heliograph.prompts.legacy.service import LEGACY_PROMPT_ID
from heliograph.store.log_row import LogRow

log = logging.getLogger("heliograph.asynclog")
router = APIRouter(tags=["Async logging"])

PROTOBUF_TYPES = frozenset({"application/x-protobuf", "application/protobuf"})
JSON_TYPES = frozenset({"application/json", "text/plain", ""})
MAX_LISTED_PROBLEMS = 5


def _array_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


# Helicone's `OTELTrace`, as far as this server holds a document to it: the structure is
# required, the fields of a span are read (and a bad span rejected) one by one.
OTEL_TRACE_SCHEMA = {
    "type": "object",
    "required": ["resourceSpans"],
    "properties": {
        "resourceSpans": _array_of(
            {
                "type": "object",
                "properties": {
                    "scopeSpans": _array_of(
                        {
                            "type": "object",
                            "properties": {"spans": _array_of({"type": "object"})},
                        }
                    )
                },
            }
        )
    },
}


# The error envelope, a component of the OpenAPI document (api/openapi.py).
ERROR_CONTENT = {"application/json": {"schema": ref("ErrorEnvelope")}}


class PayloadTooLarge(HeliographError):
    status = 413
    kind = "invalid_request_error"


class UnsupportedMediaType(HeliographError):
    status = 415
    kind = "invalid_request_error"


# The ingestion routes speak their own wire formats (Helicone's worker, OTLP), like the proxy
# routes, so only Helicone's documented REST operation, LogTrace, is in the OpenAPI document.
@router.post("/custom/v1/log", include_in_schema=False)
@router.post("/oai/v1/log", include_in_schema=False)
@router.post("/anthropic/v1/log", include_in_schema=False)
async def async_log(request: Request, caller: Caller) -> JSONResponse:
    """Log one call: `{providerRequest, providerResponse, timing?}`, as Helicone takes it."""
    document = parse_json(await read_body(request))
    request_id, reply_headers = log_document(request, caller, document)
    return JSONResponse(ok({"request_id": request_id}), headers=reply_headers)


def log_document(request: Request, caller: Principal, document: Any) -> tuple[str, dict[str, str]]:
    """Log one async-log body as the request's path reads it: the row's request id and the
    answer's headers (`helicone-id`, and `helicone-warning` for large properties).
    PropertiesTooLarge and InvalidRequestError (InvalidAsyncLog naming the field): a 400."""
    services = services_of(request)
    endpoint = LOG_ENDPOINTS[request.scope["path"]]
    call, warnings = document_call(
        document, endpoint, http_headers(request.scope), caller, services.rows.catalog, time.time()
    )
    row = build_row(services.rows, call)
    record_rows(services, [row])
    legacy_prompt = call.properties.get(LEGACY_PROMPT_ID)
    if legacy_prompt:  # Helicone's legacy prompts: the logged request's template and inputs
        services.prompts.legacy.submit(
            call.organization_id, call.request_id, legacy_prompt, call.request_body
        )
    reply_headers = {"helicone-id": row.request_id}
    if warnings:
        reply_headers["helicone-warning"] = header_text("; ".join(warnings))
    return row.request_id, reply_headers


@router.post("/v1/traces", include_in_schema=False)
async def otlp_traces(request: Request, caller: Caller) -> Response:
    """OTLP/HTTP trace export: one row per LLM span; other spans are skipped and said so."""
    is_protobuf, outcome = await ingest_traces(request, caller)
    if is_protobuf:
        return Response(
            export_response_protobuf(outcome.rejected_count, outcome.message),
            media_type="application/x-protobuf",
        )
    return JSONResponse(export_response(outcome.rejected_count, outcome.message))


@router.post(
    "/v1/trace/log",
    status_code=204,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": OTEL_TRACE_SCHEMA}},
        }
    },
    responses={
        204: {
            "description": "Logged; a `helicone-warning` header lists spans skipped or rejected",
            "headers": {"helicone-warning": {"schema": {"type": "string"}}},
        },
        413: {"description": "Payload too large (10 MB)", "content": ERROR_CONTENT},
        415: {
            "description": "Unsupported Content-Type or Content-Encoding",
            "content": ERROR_CONTENT,
        },
    },
)
async def trace_log(request: Request, caller: Caller) -> Response:
    """Helicone's `LogTrace`: an OTLP/JSON document, answered with 204 No Content."""
    _, outcome = await ingest_traces(request, caller)
    headers = {"helicone-warning": header_text(outcome.message)} if outcome.message else None
    return Response(status_code=204, headers=headers)


@dataclass
class TraceOutcome:
    """What an OTLP export became: rows, and the spans skipped or rejected."""

    rows: list[LogRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names of spans that are not LLM calls
    rejected: list[str] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    @property
    def message(self) -> str:
        parts = []
        if self.rejected:
            listed = "; ".join(self.rejected[:MAX_LISTED_PROBLEMS])
            parts.append(f"rejected {len(self.rejected)} span(s): {listed}")
        if self.skipped:
            names = ", ".join(sorted(set(self.skipped))[:MAX_LISTED_PROBLEMS])
            parts.append(
                f"skipped {len(self.skipped)} span(s) that are not LLM calls "
                f"(no gen_ai model or LLM operation): {names}"
            )
        return "; ".join(parts)


async def ingest_traces(
    request: Request, caller: Principal, *, protobuf_unless_json: bool = False
) -> tuple[bool, TraceOutcome]:
    """Log the LLM spans of an OTLP export, JSON or protobuf by its Content-Type (a body
    without one is JSON, or protobuf when `protobuf_unless_json`, as Jawn's log-python
    reads every body)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PROTOBUF_TYPES and content_type not in JSON_TYPES:
        raise UnsupportedMediaType(
            f"Unsupported Content-Type '{content_type}': send OTLP traces as "
            "application/json (OTLP/JSON) or application/x-protobuf"
        )
    is_protobuf = content_type in PROTOBUF_TYPES or (
        protobuf_unless_json and content_type != "application/json"
    )
    body = await read_body(request)
    batch = spans_from_protobuf(body) if is_protobuf else spans_from_json(parse_json(body))
    services = services_of(request)
    outcome = _trace_rows(batch, request, caller, services.rows)
    record_rows(services, outcome.rows)
    return is_protobuf, outcome


def _trace_rows(
    batch: SpanBatch, request: Request, caller: Principal, rows: RowBuilder
) -> TraceOutcome:
    outcome = TraceOutcome(rejected=list(batch.rejected))
    sent = http_headers(request.scope)
    for span in batch.spans:
        if not is_llm_span(span.attributes):
            outcome.skipped.append(span.name or "(unnamed)")
            continue
        headers = layered_headers(sent, association_headers(span.attributes))
        try:
            property_warnings(headers.properties)
        except PropertiesTooLarge as exc:
            outcome.rejected.append(f"span {span.span_id}: {exc}")
            continue
        try:
            outcome.rows.append(build_row(rows, span_call(span, headers, caller)))
        except InvalidRequestError as exc:
            outcome.rejected.append(f"span {span.span_id}: {exc.message}")
    return outcome


def record_rows(services: Any, rows: list[LogRow]) -> None:
    """Hand the rows to the log pipeline; a pipeline that cannot take them is a 500 here."""
    try:
        for row in rows:
            services.pipeline.submit(row)
    except Exception as exc:  # unlike the proxy, the log is the whole answer: say it failed
        log.exception("could not log %d async call(s)", len(rows))
        raise HeliographError(f"Could not log the call: {type(exc).__name__}") from exc


async def read_body(request: Request) -> bytes:
    """The request body, decompressed, refused past `max_async_log_body_bytes` either way
    (Helicone's 10 MiB by default; the edge counts the bytes sent too, app.py's BodyLimit)."""
    limit = services_of(request).settings.max_async_log_body_bytes
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Payload too large: the limit is {limit} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ("gzip", "deflate"):
        raise UnsupportedMediaType(f"Unsupported Content-Encoding '{encoding}': use gzip")
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
    try:
        plain = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidRequestError(f"Invalid {encoding} body: {exc}") from None
    if len(plain) > limit or decompressor.unconsumed_tail:
        raise PayloadTooLarge(f"Payload too large: the limit is {limit} bytes")
    return plain


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(f"Invalid JSON body: {exc}") from None


def header_text(text: str) -> str:
    return text.encode("ascii", "replace").decode()[:1000]

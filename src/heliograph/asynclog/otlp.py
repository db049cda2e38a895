"""Reading an OTLP/HTTP trace export (`ExportTraceServiceRequest`) into flat spans.

The JSON encoding is what OTLP/JSON exporters and Helicone's `/v1/trace/log` send:
`resourceSpans[].scopeSpans[].spans[]`, attributes as `[{key, value: {stringValue |
intValue | doubleValue | boolValue | arrayValue | kvlistValue | bytesValue}}]`, times as
unixNano strings, ids in hex. The protobuf encoding (the OpenTelemetry SDKs' default,
which OpenLLMetry uses) is decoded and mapped onto the same JSON shape.

A broken document is a 400 naming the field; a broken span is rejected on its own and
reported back in the OTLP `partialSuccess`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from heliograph.asynclog.payload import MAX_EPOCH_S
from heliograph.errors import InvalidRequestError

STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
STATUS_ERROR = 2
INT64_LIMIT = 2**63


@dataclass(frozen=True, slots=True)
class Span:
    trace_id: str
    span_id: str
    name: str
    start_ns: int
    end_ns: int
    status_code: int  # 0 unset, 1 ok, 2 error
    status_message: str
    attributes: dict[str, Any] = field(default_factory=dict)  # AnyValues as Python values


@dataclass
class SpanBatch:
    spans: list[Span] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one message per rejected span


class SpanError(InvalidRequestError, ValueError):
    """One span cannot be read; the others still can."""


def spans_from_json(document: Any) -> SpanBatch:
    """Every span of an OTLP/JSON document; structural errors raise InvalidRequestError."""
    root = _dict(document, "body")
    batch = SpanBatch()
    for r, resource_spans in enumerate(_list(root, "resourceSpans", "", required=True)):
        where = f"resourceSpans[{r}]"
        resource_spans = _dict(resource_spans, where)
        for s, scope_spans in enumerate(_list(resource_spans, "scopeSpans", where)):
            scope_where = f"{where}.scopeSpans[{s}]"
            scope_spans = _dict(scope_spans, scope_where)
            for n, span in enumerate(_list(scope_spans, "spans", scope_where)):
                span_where = f"{scope_where}.spans[{n}]"
                try:
                    batch.spans.append(_span(_dict(span, span_where)))
                except SpanError as exc:
                    batch.rejected.append(f"{span_where}: {exc}")
    return batch


def spans_from_protobuf(data: bytes) -> SpanBatch:
    """The spans of a binary `ExportTraceServiceRequest`."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
    except DecodeError as exc:
        raise InvalidRequestError(
            f"Invalid OTLP protobuf body: not an ExportTraceServiceRequest ({exc})"
        ) from exc
    document = MessageToDict(request, use_integers_for_enums=True)
    for resource_spans in document.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:  # protobuf's JSON mapping gives bytes as base64
                        span[key] = base64.b64decode(span[key]).hex()
    document.setdefault("resourceSpans", [])
    return spans_from_json(document)


def export_response(rejected: int, message: str) -> dict[str, Any]:
    """OTLP's JSON success body; `partialSuccess` only when something needs saying."""
    if not message:
        return {}
    return {"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": message}}


def export_response_protobuf(rejected: int, message: str) -> bytes:
    response = ExportTraceServiceResponse()
    if message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    return response.SerializeToString()


def _span(value: dict[str, Any]) -> Span:
    start = _nanos(value.get("startTimeUnixNano"), "startTimeUnixNano")
    end = _nanos(value.get("endTimeUnixNano"), "endTimeUnixNano")
    if end < start:
        raise SpanError("endTimeUnixNano is before startTimeUnixNano")
    if end >= MAX_EPOCH_S * 1_000_000_000:
        raise SpanError("endTimeUnixNano is after the year 2100")
    status = value.get("status") or {}
    if not isinstance(status, dict):
        raise SpanError("status must be an object")
    code = status.get("code", 0)
    code = STATUS_CODES.get(code, code) if isinstance(code, str) else code
    if isinstance(code, bool) or not isinstance(code, int):
        raise SpanError("status.code must be 0, 1 or 2")
    message = status.get("message") or ""
    return Span(
        trace_id=_text(value.get("traceId")),
        span_id=_text(value.get("spanId")),
        name=_text(value.get("name")),
        start_ns=start,
        end_ns=end,
        status_code=code,
        status_message=message if isinstance(message, str) else str(message),
        attributes=attributes(value.get("attributes"), "attributes"),
    )


def attributes(value: Any, where: str) -> dict[str, Any]:
    """`[{key, value: AnyValue}]` as a dict of Python values."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise SpanError(f"{where} must be a list")
    result = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise SpanError(f"{where}[{index}] must be {{key, value}}")
        result[item["key"]] = any_value(item.get("value"), f"{where}[{index}].value")
    return result


def any_value(value: Any, where: str) -> Any:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise SpanError(f"{where} must be an AnyValue object")
    if "stringValue" in value:
        return _text(value["stringValue"])
    if "boolValue" in value:
        return value["boolValue"] is True
    if "intValue" in value:
        return _integer(value["intValue"], where)
    if "doubleValue" in value:
        return _double(value["doubleValue"], where)
    if "arrayValue" in value:
        values = (value["arrayValue"] or {}).get("values") or []
        return [any_value(v, f"{where}.arrayValue.values[{i}]") for i, v in enumerate(values)]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values"), f"{where}.kvlistValue")
    if "bytesValue" in value:
        return _text(value["bytesValue"])
    raise SpanError(f"{where} has no known value field")


def _nanos(value: Any, name: str) -> int:
    if value is None:
        raise SpanError(f"{name} is required")
    try:
        nanos = _integer(value, name)
    except SpanError:
        raise SpanError(f"{name} must be an integer number of nanoseconds") from None
    if nanos <= 0:
        raise SpanError(f"{name} must be a positive number of nanoseconds")
    return nanos


def _integer(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().removeprefix("-").isdecimal():
        number = int(value)  # isdecimal: int() refuses "²", "--5", which isdigit/lstrip let by
    else:
        raise SpanError(f"{where} must be an integer")
    if not -INT64_LIMIT <= number < INT64_LIMIT:  # OTLP's intValue is an int64
        raise SpanError(f"{where} is out of the int64 range")
    return number


def _double(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpanError(f"{where} must be a number") from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid OTLP trace: '{where}' must be an object")
    return value


def _list(parent: dict[str, Any], key: str, where: str, required: bool = False) -> list[Any]:
    path = f"{where}.{key}" if where else key
    value = parent.get(key)
    if value is None:
        if required:
            raise InvalidRequestError(f"Invalid OTLP trace: '{path}' is required")
        return []
    if not isinstance(value, list):
        raise InvalidRequestError(f"Invalid OTLP trace: '{path}' must be a list")
    return value

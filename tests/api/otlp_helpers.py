"""Building OTLP/JSON trace documents and finding the rows their spans became."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.server import HeliographProcess

START_NS = 1_700_000_000_000_000_000


def attr(key: str, value: Any) -> dict[str, Any]:
    """One OTLP/JSON attribute; int64 as a string, as the OTLP/JSON encoding writes it."""
    return {"key": key, "value": any_value(value)}


def any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    return {"stringValue": value}


def span(
    name: str,
    attributes: dict[str, Any],
    *,
    start_ns: int = START_NS,
    duration_ms: int = 1500,
    status: dict[str, Any] | None = None,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """A span in the shape of Helicone's `OTELTrace` schema (every required field set)."""
    return {
        "traceId": trace_id or uuid.uuid4().hex,
        "spanId": uuid.uuid4().hex[:16],
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + duration_ms * 1_000_000),
        "attributes": [attr(key, value) for key, value in attributes.items()],
        "droppedAttributesCount": 0,
        "events": [],
        "droppedEventsCount": 0,
        "status": status or {"code": 0},
        "links": [],
        "droppedLinksCount": 0,
    }


def document(*spans: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [attr("service.name", "story-app")],
                    "droppedAttributesCount": 0,
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.openai", "version": "1"},
                        "spans": list(spans),
                    }
                ],
            }
        ]
    }


def rows_with_property(
    server: HeliographProcess, key: str, value: str, count: int, api_key: str | None = None
) -> list[dict[str, Any]]:
    """The full rows carrying property key=value, waiting until `count` of them are stored."""
    query = {"filter": {"request_response_rmt": {"properties": {key: {"equals": value}}}}}
    deadline = time.monotonic() + 15
    with server.api(api_key) as client:
        while True:
            found = client.post("/v1/request/query-clickhouse", json=query).json()["data"]
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert len(found) == count, found
    return [server.wait_for_request(row["request_id"], api_key) for row in found]


def post_traces(
    server: HeliographProcess,
    body: Any,
    path: str = "/v1/traces",
    key: str | None = None,
    **headers: str,
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {key or server.api_key}"}
    return server.request("POST", path, json=body, headers={**auth, **headers})

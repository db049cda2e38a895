"""What the fake remembers: the calls it received and the `fail_first` counters."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web


@dataclass(frozen=True, slots=True)
class Call:
    """One request as the fake received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form served by `GET /__calls` (the body as text)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body.decode(errors="replace"),
        }


@dataclass
class State:
    """Everything the fake keeps between requests; `/__reset` empties it."""

    max_calls: int | None = 10_000
    calls: deque[Call] = field(init=False)
    failures: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        # Bounded so a long benchmark run cannot grow memory without limit.
        self.calls = deque(maxlen=self.max_calls)

    def reset(self) -> None:
        self.calls.clear()
        self.failures.clear()


STATE = web.AppKey("fake_provider_state", State)


def headers_of(request: web.BaseRequest) -> dict[str, str]:
    """Request headers as a dict with lower-cased names."""
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        name = name.lower()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def call_of(request: web.BaseRequest, body: bytes) -> Call:
    return Call(request.method, request.path, request.query_string, headers_of(request), body)


def received(request: web.BaseRequest, body: Any) -> dict[str, Any]:
    """The echo payload: what the fake received, with `body` as given."""
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "headers": headers_of(request),
        "body": body,
    }


def json_body(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None

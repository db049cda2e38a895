"""What the proxy core needs from a provider's wire format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from heliograph.providers.sse import SSEEvent
from heliograph.usage import Usage


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """The parts of a provider response that a log row needs."""

    model: str | None
    usage: Usage | None
    body: Any = None  # for streams: the assembled final message


class WireFormat(Protocol):
    name: str

    def summarize(self, body: Any) -> ResponseSummary:
        """Model and usage of a non-streaming JSON response."""

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        """The final message a stream adds up to, with its model and usage."""


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj

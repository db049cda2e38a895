"""What the proxy core needs from a provider's wire format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class ReadsBinaryStreams(Protocol):
    """A wire format whose streams are binary frames, not SSE (Bedrock's AWS event stream)."""

    def assemble_binary(self, data: bytes) -> ResponseSummary | None:
        """The final message such a stream adds up to; None when `data` is not one."""


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj

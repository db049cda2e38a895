"""Server-sent events: splitting a byte stream into events and parsing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: Any  # the data parsed as JSON, or the text itself when it is not JSON ("[DONE]")


def _decoded(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


def parse_events(raw: bytes) -> list[SSEEvent]:
    """Every event with data in a complete or partial SSE body, its data parsed once."""
    if b"\r\n" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    events = []
    for block in raw.split(b"\n\n"):
        if block.startswith(b"data: ") and b"\n" not in block:  # OpenAI's one-line events
            events.append(SSEEvent(None, _decoded(block[6:])))
            continue
        name = None
        data: list[bytes] = []
        for line in block.split(b"\n"):
            if line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
            elif line.startswith(b"event:"):
                name = line[6:].strip().decode("utf-8", "replace")
        if data:
            events.append(SSEEvent(name, _decoded(b"\n".join(data))))
    return events


class EventSplitter:
    """Cuts arriving chunks into whole events (blocks ending in a blank line)."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._rest + chunk if self._rest else chunk
        if b"\r\n" in data:
            data = data.replace(b"\r\n", b"\n")
        *blocks, self._rest = data.split(b"\n\n")
        return [block + b"\n\n" for block in blocks]

    def remainder(self) -> bytes:
        rest, self._rest = self._rest, b""
        return rest

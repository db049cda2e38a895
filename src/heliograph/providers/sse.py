"""Server-sent events: splitting a byte stream into events and parsing them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


def parse_events(raw: bytes) -> list[SSEEvent]:
    """Every event with data in a complete or partial SSE body."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    events = []
    for block in text.split("\n\n"):
        name = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
            elif line.startswith("event:"):
                name = line[6:].strip()
        if data:
            events.append(SSEEvent(name, "\n".join(data)))
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

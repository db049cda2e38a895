"""Server-sent events: splitting a byte stream into events and parsing them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import orjson


class SSEEvent(NamedTuple):  # a tuple: thousands are made per second on the stream path
    event: str | None
    data: Any  # the data parsed as JSON, or the text itself when it is not JSON ("[DONE]")


def _decoded(data: bytes) -> Any:
    if data == b"[DONE]":  # every OpenAI stream's last event: raising on it costs more
        return "[DONE]"
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


# A body of nothing but one-line `data:` events, as OpenAI and most providers send: read
# with one regex scan instead of event by event (measured: a third of the time).
_ONE_LINE_EVENTS = re.compile(rb"(?:data: ?[^\n]*\n\n)*")
_ONE_LINE_DATA = re.compile(rb"data: ?([^\n]*)\n\n")


def parse_events(raw: bytes) -> list[SSEEvent]:
    """Every event with data in a complete or partial SSE body, its data parsed once."""
    if b"\r\n" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    if _ONE_LINE_EVENTS.fullmatch(raw):
        return [SSEEvent(None, _decoded(data)) for data in _ONE_LINE_DATA.findall(raw)]
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


class EventBuffer:
    """Whole events out of a stream cut anywhere; the unfinished tail waits for more."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> bytes:
        """The events `chunk` completes, up to and with the last blank line (maybe b"")."""
        data = self._rest + chunk if self._rest else chunk
        if b"\r\n" in data:  # a CR at the end stays, and pairs with the next chunk's LF
            data = data.replace(b"\r\n", b"\n")
        cut = data.rfind(b"\n\n")
        if cut < 0:
            self._rest = data
            return b""
        complete, self._rest = data[: cut + 2], data[cut + 2 :]
        return complete

    def finish(self) -> bytes:
        """What is left once the stream ended: an unterminated last event, or b""."""
        rest, self._rest = self._rest, b""
        return rest


class EventFilter:
    """Relays a stream by whole events, dropping those `drop` picks among the events that
    hold one of `markers`; the others go out as they are, never split or looked at.

    Only complete events (up to the last blank line) go out; the unfinished tail waits for
    the next chunk.
    """

    def __init__(self, markers: Sequence[bytes], drop: Callable[[bytes], bool]) -> None:
        self._markers = markers
        self._drop = drop
        self._buffer = EventBuffer()

    def feed(self, chunk: bytes) -> bytes:
        complete = self._buffer.feed(chunk)
        if not complete or not self._markers:
            return complete
        kept: list[bytes] = []
        done = 0
        for start, end in _marked_events(complete, self._markers):
            if self._drop(complete[start : end - 2]):
                kept.append(complete[done:start])
                done = end
        if not done:
            return complete
        kept.append(complete[done:])
        return b"".join(kept)

    def finish(self) -> bytes:
        return self._buffer.finish()


def _marked_events(complete: bytes, markers: Sequence[bytes]) -> list[tuple[int, int]]:
    """Where the events holding a marker start and end (after their blank line), in order."""
    spans = set()
    for marker in markers:
        at = complete.find(marker)
        while at >= 0:
            cut = complete.rfind(b"\n\n", 0, at)
            end = complete.find(b"\n\n", at) + 2
            spans.add((0 if cut < 0 else cut + 2, end))
            at = complete.find(marker, end)
    return sorted(spans)


def _never(_: bytes) -> bool:
    return False


def whole_events() -> EventFilter:
    """A relay that only ever sends whole events (Helicone-Stream-Force-Format)."""
    return EventFilter((), _never)

"""AWS's binary event stream (`application/vnd.amazon.eventstream`): whole messages out of bytes.

Bedrock's ConverseStream answers in it, not in SSE. Each message is framed as
    prelude: total length, headers length (big-endian uint32 each), CRC32 of those 8 bytes
    headers: name length (uint8), name, value type (uint8), value, repeated
    payload, then CRC32 of everything before it
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from heliograph.errors import UpstreamError

PRELUDE = 12
# AWS caps headers at 128 KiB and payloads at 24 MiB; a longer frame means corrupt input.
MAX_MESSAGE = PRELUDE + 128 * 1024 + 24 * 1024 * 1024 + 4
_FIXED = {
    2: struct.Struct("!b"),
    3: struct.Struct("!h"),
    4: struct.Struct("!i"),
    5: struct.Struct("!q"),
}
_FIXED[8] = _FIXED[5]  # a timestamp: milliseconds since the epoch as an int64

HeaderValue = bool | int | bytes | str


class EventStreamError(UpstreamError, ValueError):
    """The bytes are not a well-formed AWS event stream (bad CRC, length or header)."""


class EventMessage(NamedTuple):
    headers: dict[str, HeaderValue]
    payload: bytes

    def json_object(self) -> dict[str, Any]:
        """The payload as a JSON object; {} when it is none (empty, not JSON, not an object)."""
        try:
            data = orjson.loads(self.payload) if self.payload else {}
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}


class EventStreamDecoder:
    """Whole messages out of event-stream bytes cut anywhere; CRCs are checked."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._start = 0  # where the next message begins in the buffer

    @property
    def pending(self) -> int:
        """Bytes of a message not complete yet."""
        return len(self._buffer) - self._start

    def feed(self, chunk: bytes) -> Iterator[EventMessage]:
        """The messages `chunk` completes; iterating raises EventStreamError at corrupt input."""
        if self._start:
            del self._buffer[: self._start]
            self._start = 0
        self._buffer += chunk
        return self._messages()

    def _messages(self) -> Iterator[EventMessage]:
        while (message := self._next()) is not None:
            yield message

    def _next(self) -> EventMessage | None:
        # Released on return: a bytearray with a live memoryview cannot grow or shrink.
        with memoryview(self._buffer) as view:
            start = self._start
            if len(view) - start < PRELUDE:
                return None
            total, headers_length, prelude_crc = struct.unpack_from("!III", view, start)
            if zlib.crc32(view[start : start + 8]) != prelude_crc:
                raise EventStreamError("prelude CRC mismatch")
            if not PRELUDE + headers_length + 4 <= total <= MAX_MESSAGE:
                raise EventStreamError(f"impossible message length {total}")
            end = start + total
            if len(view) < end:
                return None
            (crc,) = struct.unpack_from("!I", view, end - 4)
            if zlib.crc32(view[start : end - 4]) != crc:
                raise EventStreamError("message CRC mismatch")
            headers_end = start + PRELUDE + headers_length
            headers = _headers(bytes(view[start + PRELUDE : headers_end]))
            payload = bytes(view[headers_end : end - 4])
        self._start = end
        return EventMessage(headers, payload)


def _headers(data: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    at = 0
    try:
        while at < len(data):
            size = data[at]
            name = data[at + 1 : at + 1 + size].decode()
            kind = data[at + 1 + size]
            at += size + 2
            value: HeaderValue
            if kind in (0, 1):
                value = kind == 0
            elif kind in _FIXED:
                value = _FIXED[kind].unpack_from(data, at)[0]
                at += _FIXED[kind].size
            elif kind in (6, 7):
                (size,) = struct.unpack_from("!H", data, at)
                value = data[at + 2 : at + 2 + size]
                value = value.decode() if kind == 7 else value
                at += size + 2
            elif kind == 9:
                value = data[at : at + 16]
                at += 16
            else:
                raise EventStreamError(f"unknown header value type {kind}")
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError):
        raise EventStreamError("truncated or undecodable headers") from None
    if at != len(data):
        raise EventStreamError("truncated headers")
    return headers

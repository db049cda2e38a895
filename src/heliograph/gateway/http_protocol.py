"""uvicorn's httptools protocol with two changes for a proxy's responses.

- It keeps the sent casing of Helicone-Property-* names. ASGI lower-cases header names, but
  Helicone stores a custom property under its name as sent (`Helicone-Property-Environment`
  -> `Environment`). Names of property headers are kept, in order, in the scope under
  RAW_PROPERTY_NAMES; parse_headers pairs them up.
- What a request's handler writes in one go reaches the socket in one write. uvicorn writes
  a response's head and each body part separately: two or three system calls and TCP
  segments for every response, where one does (CoalescingTransport).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from heliograph.gateway.headers import PROPERTY_PREFIX, RAW_PROPERTY_NAMES

_PREFIX_LEN = len(PROPERTY_PREFIX)


class CoalescingTransport:
    """A transport whose writes wait for the end of the current event-loop step.

    Writes made while one task runs without pausing (a response's head, its body, the
    chunked-encoding end) go out together as soon as it pauses or ends; nothing waits
    longer than that. Closing sends what is waiting first. Everything else is the wrapped
    transport's own.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._waiting:
            self._loop.call_soon(self._send_waiting)
        self._waiting.append(bytes(data))

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        if waiting and not self._transport.is_closing():
            self._transport.write(waiting[0] if len(waiting) == 1 else b"".join(waiting))

    def close(self) -> None:
        self._send_waiting()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CasePreservingProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)  # type: ignore[arg-type]

    def on_header(self, name: bytes, value: bytes) -> None:
        if name[:_PREFIX_LEN].lower() == PROPERTY_PREFIX:
            scope: dict[str, list[bytes]] = self.scope  # type: ignore[assignment]
            scope.setdefault(RAW_PROPERTY_NAMES, []).append(name)
        super().on_header(name, value)

"""uvicorn's httptools protocol with two changes for a proxy's responses.

- It keeps the sent casing of Helicone-Property-* names. ASGI lower-cases header names, but
  Helicone stores a custom property under its name as sent (`Helicone-Property-Environment`
  -> `Environment`). Names of property headers are kept, in order, in the scope under
  RAW_PROPERTY_NAMES; parse_headers pairs them up.
- What a request's handler writes in one go reaches the socket in one write. uvicorn writes
  a response's head and each body part separately: two or three system calls and TCP
  segments for every response, where one does (CoalescingTransport).

It also enforces the edge limits (EdgeLimits) while it parses, before the app sees a request:
the head's size and header count, the request line's length, the time to receive a head and
the pauses within a body, the number of open connections. Each refusal is a short JSON
response and a closed connection.

Why the head is counted here: httptools hands a long header value over in pieces, one per
read, and joins them with `+=`, copying all that came before each time; a 128 MiB header took
tens of seconds of event-loop time. Counting the bytes of a head as they arrive and refusing
once they pass max_head_bytes bounds what is ever joined, so parsing stays linear.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from heliograph.errors import HeliographError
from heliograph.gateway.edge_limits import EdgeLimits, refusal
from heliograph.helicone_headers import PROPERTY_PREFIX, RAW_PROPERTY_NAMES

_PREFIX_LEN = len(PROPERTY_PREFIX)
LINGER_S = 2.0  # longest wait for a refused client to stop sending before the connection closes
# uvloop's timers run on a millisecond clock and may fire a hair before the deadline they
# were armed for: a deadline this close counts as reached rather than re-arming a timer.
CLOCK_SLACK_S = 0.001


COALESCE_BYTES = 64 * 1024  # past this, writes waiting for the step's end go out at once


class CoalescingTransport:
    """A transport whose writes wait for the end of the current event-loop step.

    Writes made while one task runs without pausing (a response's head, its body, the
    chunked-encoding end) go out together as soon as it pauses or ends; nothing waits
    longer than that. Closing sends what is waiting first. Everything else is the wrapped
    transport's own.

    Once COALESCE_BYTES wait, they go to the wrapped transport at once: only then can it see
    a slow reader and pause the protocol's writing, so that a handler sending a large
    answer without pausing waits for the client (uvicorn's drain) instead of piling the whole
    answer into memory.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []
        self._waiting_bytes = 0
        # Asked on every read and every response: bound here, not found by __getattr__.
        self.is_closing = transport.is_closing

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._waiting:
            self._loop.call_soon(self._send_waiting)
        self._waiting.append(bytes(data))
        self._waiting_bytes += len(data)
        if self._waiting_bytes >= COALESCE_BYTES:
            self._send_waiting()

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        self._waiting_bytes = 0
        if waiting and not self._transport.is_closing():
            self._transport.write(waiting[0] if len(waiting) == 1 else b"".join(waiting))

    def close(self) -> None:
        self._send_waiting()
        self._transport.close()

    def write_eof(self) -> None:
        self._send_waiting()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class Refused(HeliographError):
    """Raised in a parser callback to stop parsing a request the protocol refuses."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, status)


class CasePreservingProtocol(HttpToolsProtocol):
    limits: ClassVar[EdgeLimits] = EdgeLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)  # type: ignore[arg-type]
        self._refused: Refused | None = None
        self._lingering = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0  # when _timer fires (loop time)
        self._reading_head = True
        self._head_began: float | None = self.loop.time()  # None: no request under way
        self._head_bytes = 0  # received since the head began, counted before parsing
        self._head_size = 0  # of the request line and the headers parsed so far
        self._header_count = 0
        self._body_progress = 0.0
        self._max_served, ceiling = self.limits.connection_caps()
        if len(self.connections) > ceiling:
            # Past the ceiling even a 503 would cost descriptors the spool and store need.
            transport.abort()
            return
        self._watch(self._head_began + self.limits.head_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering or self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        if self._reading_head:
            if self._head_began is None:  # the first byte of a request on a kept-alive connection
                self._head_began = began = self.loop.time()
                self._watch(began + self.limits.head_timeout_s)
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refused is not None:
                self._refuse(self._refused.status, self._refused.message)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._reading_head and self._head_bytes > self.limits.max_head_bytes:
            self._refuse(431, f"Request head over {self.limits.max_head_bytes} bytes")

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > self.limits.max_url_bytes:
            self._stop(414, f"Request line over {self.limits.max_url_bytes} bytes")
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._head_size += len(name) + len(value) + 4  # ": " and CRLF
        if self._header_count > self.limits.max_header_count:
            self._stop(431, f"More than {self.limits.max_header_count} request headers")
        if self._head_size > self.limits.max_head_bytes:
            self._stop(431, f"Request head over {self.limits.max_head_bytes} bytes")
        if name[:_PREFIX_LEN].lower() == PROPERTY_PREFIX:
            scope: dict[str, list[bytes]] = self.scope  # type: ignore[assignment]
            scope.setdefault(RAW_PROPERTY_NAMES, []).append(name)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if len(self.connections) > self._max_served:
            self._stop(503, "Too many open connections; retry shortly")
        self._reading_head = False
        self._head_began = None
        # The next head is counted from zero (here rather than in on_message_begin: one
        # Python call less per request).
        self._head_bytes = self._head_size = self._header_count = 0
        self._body_progress = now = self.loop.time()
        self._watch(now + self.limits.body_idle_timeout_s)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_progress = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        # The timer stays: when it fires, it finds no request under way and is not re-armed
        # (cancelling and arming a timer for every request cost the stream path measurably).
        self._reading_head = True
        super().on_message_complete()

    def _stop(self, status: int, message: str) -> None:
        """Refuse the request being parsed: raising stops httptools at once."""
        self._refused = Refused(status, message)
        raise self._refused

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with a short JSON error and close, unless a response has begun."""
        self._disarm()
        cycle = None if self._reading_head else self.cycle  # a kept-alive one is finished
        if cycle is None or not cycle.response_started:
            self.transport.write(refusal(status, message))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's receive() answers http.disconnect
            cycle.message_event.set()
        self._close_lingering()

    def _close_lingering(self) -> None:
        """Close after the client had time to read the refusal (nginx's lingering close).

        Closing a socket with unread input sends a reset, and a client still sending its
        head or body would lose the answer; so the write side is shut and what still arrives
        is discarded until the client closes or LINGER_S passes.
        """
        self._lingering = True
        self.flow.resume_reading()
        self.transport.write_eof()
        self._arm(LINGER_S, self.transport.close)

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _watch(self, deadline: float) -> None:
        """Have the deadline timer fire by `deadline` (loop time).

        One timer per connection checks the head and body deadlines when it fires and is
        re-armed only while a request is being received. A timer due sooner is kept: it
        re-arms itself for what is left, so no request pays for a cancel and a new timer.
        """
        if self._timer is None or self._timer_at > deadline:
            self._disarm()
            self._timer_at = deadline
            self._timer = self.loop.call_at(deadline, self._check_deadlines)

    def _check_deadlines(self) -> None:
        """Refuse a head not received within head_timeout_s, or a body that made no
        progress for body_idle_timeout_s; otherwise wait for the next deadline, if any.

        A pause while the app does not read (uvicorn paused reading) is not the client's.
        """
        self._timer = None
        now = self.loop.time()
        reached = now + CLOCK_SLACK_S
        limits = self.limits
        if self._reading_head:
            if self._head_began is None:  # between requests: the next head arms it again
                return
            deadline = self._head_began + limits.head_timeout_s
            if reached < deadline:
                self._watch(deadline)
            else:
                self._refuse(408, f"Request head not received within {limits.head_timeout_s}s")
            return
        deadline = self._body_progress + limits.body_idle_timeout_s
        if self.flow.read_paused:
            self._watch(now + limits.body_idle_timeout_s)
        elif reached < deadline:
            self._watch(deadline)
        else:
            limit = limits.body_idle_timeout_s
            self._refuse(408, f"Request body stalled for more than {limit}s")


def protocol_with_limits(limits: EdgeLimits) -> type[CasePreservingProtocol]:
    """The protocol class uvicorn instantiates per connection, enforcing `limits`."""
    return type("EdgeProtocol", (CasePreservingProtocol,), {"limits": limits})

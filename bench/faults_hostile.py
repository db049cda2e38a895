"""Hostile clients over raw sockets, bounded in count and time: slow heads and bodies
(slowloris), an oversized header, an oversized body, malformed requests.

Each attempt ends in an outcome: the status the server answered, "closed" (the server hung
up first, after `seconds`), or "held" (the socket was still open when the window ended: the
server let a slow client keep its connection for the whole window).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from bench import stack

SLOW_HEADS = 20
SLOW_BODIES = 10
SLOW_STEP_S = 0.5  # one byte this often
OVERSIZED_HEADER_BYTES = 1 << 20
OVERSIZED_BODY_BYTES = 64 << 20  # announced; at most SENT_BODY_LIMIT of it is sent
SENT_BODY_LIMIT = 16 << 20
MALFORMED = (
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS hello on plain HTTP
)


@dataclass(frozen=True)
class Outcome:
    kind: str
    result: str  # "status 431", "closed", "held", "refused"
    seconds: float


def _head(path: str, host: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}"
    ).encode()


def _status(data: bytes) -> str:
    parts = data.split(b" ", 2)
    return f"status {parts[1].decode(errors='replace')}" if len(parts) > 1 else "closed"


class HostileClients:
    """All the hostile attempts of one window, each in its own thread, ended by stop()."""

    def __init__(self, base_url: str, api_key: str) -> None:
        parts = urlsplit(base_url)
        # A valid key, so that the server gets past authentication to reading the body.
        self.auth = f"Authorization: Bearer {api_key}\r\n"
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.host = parts.netloc
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        plans: list[tuple[str, Callable[[socket.socket], str]]] = []
        plans += [("slow head", partial(self._slow, in_head=True))] * SLOW_HEADS
        plans += [("slow body", partial(self._slow, in_head=False))] * SLOW_BODIES
        plans += [("oversized header", self._oversized_header)]
        plans += [("oversized body", self._oversized_body)]
        plans += [("malformed", partial(self._malformed, data)) for data in MALFORMED]
        for kind, run in plans:
            thread = threading.Thread(target=self._attempt, args=(kind, run), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)
        return self.outcomes

    def _attempt(self, kind: str, run: Callable[[socket.socket], str]) -> None:
        began = time.monotonic()
        try:
            with socket.create_connection(self.address, timeout=5) as sock:
                result = run(sock)
        except OSError as exc:
            result = "refused" if isinstance(exc, ConnectionRefusedError) else "closed"
        with self._lock:
            self.outcomes.append(Outcome(kind, result, round(time.monotonic() - began, 1)))

    def _answer(self, sock: socket.socket) -> str:
        """The status of whatever the server answers, or "closed"."""
        with contextlib.suppress(OSError):
            sock.settimeout(5)
            return _status(sock.recv(4096))
        return "closed"

    def _slow(self, sock: socket.socket, in_head: bool) -> str:
        """A byte every SLOW_STEP_S, of the head or (after a whole head) of a body, until the
        window ends or the server answers or hangs up."""
        if in_head:
            head = _head(stack.GATEWAY_ROUTE, self.host, self.auth)
            trickle = head + b"X-Slow: " + b"a" * 8000
        else:
            length = "Content-Length: 4096\r\n\r\n"
            sock.sendall(_head(stack.GATEWAY_ROUTE, self.host, self.auth + length))
            trickle = b'{"model": "gpt-4o-mini/openai", "messages": ' + b" " * 4000
        sock.settimeout(SLOW_STEP_S)
        for byte in trickle:
            if self._stop.is_set():
                return "held"
            try:
                sock.sendall(bytes([byte]))
                return _status(sock.recv(4096))  # an answer, or b"" when the server hung up
            except TimeoutError:  # the server is still waiting for more: the usual case
                continue
            except OSError:
                return "closed"
        return self._answer(sock)

    def _oversized_header(self, sock: socket.socket) -> str:
        extra = self.auth + "X-Big: " + "b" * OVERSIZED_HEADER_BYTES + "\r\n\r\n"
        with contextlib.suppress(OSError):
            sock.sendall(_head(stack.GATEWAY_ROUTE, self.host, extra))
        return self._answer(sock)

    def _oversized_body(self, sock: socket.socket) -> str:
        extra = self.auth + f"Content-Length: {OVERSIZED_BODY_BYTES}\r\n\r\n"
        chunk = b" " * (1 << 20)
        try:
            sock.sendall(_head(stack.GATEWAY_ROUTE, self.host, extra))
            for _sent in range(SENT_BODY_LIMIT // len(chunk)):
                if self._stop.is_set():
                    return "held"
                sock.sendall(chunk)
        except OSError:
            pass  # the server stopped reading: its answer, if any, is waiting
        return self._answer(sock)

    def _malformed(self, data: bytes, sock: socket.socket) -> str:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        return self._answer(sock)

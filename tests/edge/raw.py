"""Raw-socket HTTP for the edge tests: what a slow, oversized or hostile client sends."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import orjson


@dataclass
class RawResponse:
    status: int
    head: bytes
    body: bytes
    elapsed: float  # from the last byte sent to the server's close
    closed: bool  # the server closed the connection after answering

    def json(self) -> object:
        return orjson.loads(self.body)


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_until_close(sock: socket.socket, started: float | None = None) -> RawResponse:
    """Everything the server sends until it closes (or the socket's timeout passes)."""
    started = time.monotonic() if started is None else started
    data = b""
    closed = False
    try:
        while part := sock.recv(65536):
            data += part
        closed = True
    except TimeoutError:
        pass
    elapsed = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return RawResponse(status, head, body, elapsed, closed)


def exchange(port: int, data: bytes, timeout: float = 5.0) -> RawResponse:
    """Send `data` on a new connection, then read the answer until the server closes."""
    with connect(port, timeout) as sock:
        sock.sendall(data)
        return read_until_close(sock)


def request(path: str, *headers: str, method: str = "GET", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

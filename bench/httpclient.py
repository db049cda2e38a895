"""A minimal blocking HTTP/1.1 client on a raw keep-alive socket, timed to the nanosecond.

For what wrk and h2load cannot tell: the time to the first SSE event of a stream (TTFT),
and, where they are not installed, the in-process load generator (bench.pyload). Nothing
here allocates more than the bytes it reads, so its own cost is small and the same for
every system measured; differences between systems are theirs.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

_HEAD_END = b"\r\n\r\n"
_EVENT = b"data:"


@dataclass(frozen=True)
class Exchange:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes  # de-chunked
    sent_ns: int
    first_event_ns: int | None  # when the first `data:` of the body arrived
    done_ns: int

    @property
    def latency_us(self) -> float:
        return (self.done_ns - self.sent_ns) / 1000

    @property
    def ttft_us(self) -> float | None:
        if self.first_event_ns is None:
            return None
        return (self.first_event_ns - self.sent_ns) / 1000


def build_request(url: str, headers: dict[str, str], body: str) -> bytes:
    """The bytes of one POST, ready to be sent again and again on one connection."""
    parts = urlsplit(url)
    data = body.encode()
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(data)}", "", ""]
    return "\r\n".join(lines).encode() + data


class Connection:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def _connect(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection(self.address, timeout=self.timeout_s)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._sock

    def _recv(self, sock: socket.socket) -> bytes:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection mid-response")
        return data

    def exchange(self, request: bytes) -> Exchange:
        """Send one request and read its whole response."""
        sock = self._connect()
        sent_ns = time.perf_counter_ns()
        try:
            sock.sendall(request)
            return self._read_response(sock, sent_ns)
        except BaseException:
            self.close()
            raise

    def _read_response(self, sock: socket.socket, sent_ns: int) -> Exchange:
        buffer = self._buffer
        while _HEAD_END not in buffer:
            buffer += self._recv(sock)
        head, _, rest = buffer.partition(_HEAD_END)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        first_event_ns = time.perf_counter_ns() if _EVENT in rest else None
        reader = _ChunkedBody() if "chunked" in headers.get("transfer-encoding", "") else None
        length = int(headers.get("content-length", "-1"))
        body = b""
        while True:
            if reader is not None:
                rest = reader.feed(rest)
                if reader.done:
                    body = reader.body
                    break
            elif length >= 0 and len(rest) >= length:
                body, rest = rest[:length], rest[length:]
                break
            try:
                data = self._recv(sock)
            except ConnectionError:
                if reader is None and length < 0:  # body delimited by the close
                    body, rest = rest, b""
                    self.close()
                    break
                raise
            if first_event_ns is None and _EVENT in (rest[-8:] + data):
                first_event_ns = time.perf_counter_ns()
            rest += data
        done_ns = time.perf_counter_ns()
        self._buffer = rest
        if headers.get("connection", "").lower() == "close":
            self.close()
        if first_event_ns is None and _EVENT in body:
            first_event_ns = done_ns
        return Exchange(status, headers, body, sent_ns, first_event_ns, done_ns)


class _ChunkedBody:
    """Incremental `Transfer-Encoding: chunked` decoder (no trailers expected)."""

    def __init__(self) -> None:
        self.body = b""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Consume what it can of `data`; returns the bytes it could not use yet."""
        while not self.done:
            line_end = data.find(b"\r\n")
            if line_end < 0:
                return data
            size = int(data[:line_end].split(b";")[0], 16)
            if size == 0:
                if data.find(b"\r\n", line_end + 2) < 0:
                    return data
                data = data[data.find(b"\r\n", line_end + 2) + 2 :]
                self.done = True
                return data
            start = line_end + 2
            if len(data) < start + size + 2:
                return data
            self.body += data[start : start + size]
            data = data[start + size + 2 :]
        return data

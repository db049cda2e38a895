"""The limits the HTTP protocol enforces on every connection, before any request reaches the app.

They come from Settings once at start. The connection caps also depend on the process's
descriptor limit (RLIMIT_NOFILE), read at each new connection so that a limit lowered while
the server runs (`prlimit --pid`) is followed too: every accepted connection is a descriptor,
and every call in flight may hold a second one upstream, so the number of connections is kept
low enough that the spool, the store and the upstream pool always find a free descriptor.
"""

from __future__ import annotations

import contextlib
import resource
from dataclasses import dataclass
from http import HTTPStatus

import orjson

from heliograph.config import Settings
from heliograph.errors import openai_error_body

# Descriptors kept free for everything that is not a client connection: the spool and its
# segments, chDB's part files during merges, the metadata database pool, Redis, webhook and
# alert sockets, log files. chDB alone opens dozens during a merge; 256 leaves room for them.
FD_RESERVE = 256


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    max_head_bytes: int = 128 * 1024
    max_header_count: int = 100
    max_url_bytes: int = 8 * 1024
    head_timeout_s: float = 10.0
    body_idle_timeout_s: float = 30.0
    max_connections: int = 1000  # the setting; connection_caps() lowers it to fit RLIMIT_NOFILE

    def connection_caps(self) -> tuple[int, int]:
        """(connections served, connections kept at all) under the current descriptor limit.

        Connections past the first are answered 503; past the second, closed at once.
        """
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        nofile = 1 << 20 if soft == resource.RLIM_INFINITY else soft
        return connection_caps(self.max_connections, nofile)


def connection_caps(max_connections: int, nofile: int) -> tuple[int, int]:
    """(connections served, connections accepted) for a descriptor limit of `nofile`.

    A served connection may hold an upstream socket too, so served connections get at most
    half of what the reserve leaves; accepted ones (served, or answered 503) the rest.
    """
    usable = max(nofile - FD_RESERVE, 4)
    served = max(1, min(max_connections, usable // 2))
    return served, max(served, usable - served)


def raise_descriptor_limit() -> None:
    """Raise the soft RLIMIT_NOFILE to the hard one, as Go's runtime does at start.

    The soft limit is often 1024 while the hard one is far higher; connections beyond a
    quarter of that would otherwise be refused for no reason.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):  # not permitted: keep the soft limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        max_head_bytes=settings.max_head_bytes,
        max_header_count=settings.max_header_count,
        max_url_bytes=settings.max_url_bytes,
        head_timeout_s=settings.head_timeout_s,
        body_idle_timeout_s=settings.body_idle_timeout_s,
        max_connections=settings.max_connections,
    )


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP response refusing a request, closing its connection.

    The protocol refuses before routing, so the body is the gateway's OpenAI-style error,
    which every client of the gateway parses and a person can read.
    """
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = orjson.dumps(openai_error_body(message, kind))
    reason = HTTPStatus(status).phrase.encode()
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, reason, len(body))
    )
    return head + body

"""The limits the HTTP protocol enforces on every connection, before any request reaches the app.

They come from Settings once at start. The connection caps also depend on the process's
descriptor limit (RLIMIT_NOFILE): every accepted connection is a descriptor, and every call
in flight may hold a second one upstream, so the number of connections is kept low enough
that the spool, the store and the upstream pool always find a free descriptor.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from http import HTTPStatus

import orjson

from heliograph.config import Settings

# Descriptors kept free for everything that is not a client connection: the spool and its
# segments, chDB's part files during merges, the metadata database pool, Redis, webhook and
# alert sockets, log files. chDB alone opens dozens during a merge; 256 leaves room for them.
FD_RESERVE = 256


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    max_head_bytes: int = 64 * 1024
    max_header_count: int = 100
    max_url_bytes: int = 8 * 1024
    head_timeout_s: float = 10.0
    body_idle_timeout_s: float = 30.0
    max_connections: int = 1000  # served; more are answered 503
    connection_ceiling: int = 2000  # accepted at all; more are closed at once


def connection_caps(max_connections: int, nofile: int) -> tuple[int, int]:
    """(connections served, connections accepted) for a descriptor limit of `nofile`.

    A served connection may hold an upstream socket too, so served connections get at most
    half of what the reserve leaves; accepted ones (served, or answered 503) the rest.
    """
    usable = max(nofile - FD_RESERVE, 4)
    served = max(1, min(max_connections, usable // 2))
    return served, max(served, usable - served)


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one (as nginx and Go do); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # not permitted here: keep the soft limit
            pass
    return soft


def edge_limits(settings: Settings, nofile: int) -> EdgeLimits:
    served, ceiling = connection_caps(settings.max_connections, nofile)
    return EdgeLimits(
        max_head_bytes=settings.max_head_bytes,
        max_header_count=settings.max_header_count,
        max_url_bytes=settings.max_url_bytes,
        head_timeout_s=settings.head_timeout_s,
        body_idle_timeout_s=settings.body_idle_timeout_s,
        max_connections=served,
        connection_ceiling=ceiling,
    )


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP response refusing a request, closing its connection.

    The protocol refuses before routing, so the body is the gateway's OpenAI-style error,
    which every client of the gateway parses and a person can read.
    """
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = orjson.dumps({"error": {"message": message, "type": kind, "code": status}})
    reason = HTTPStatus(status).phrase.encode()
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, reason, len(body))
    )
    return head + body

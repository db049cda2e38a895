"""The pooled HTTP/1.1 client over a Unix socket: how the gateway workers of
`serve --workers N` reach the store process on the same machine (its REST API, dashboard,
shared rate limits and cache). Not an outbound call: no outbound policy applies, and the
socket's file permissions (0600, in the data directory) are its access control."""

from __future__ import annotations

import asyncio
from pathlib import Path

from heliograph.httpclient.pool import ConnectionPool, UpstreamConnection
from heliograph.httpclient.request import Origin
from heliograph.httpclient.response import UpstreamUnreachable
from heliograph.outbound.allowlist import AllowList
from heliograph.outbound.policy import OutboundPolicy

# The origin every request names: the Host header the store process sees.
LOCAL_ORIGIN = "http://heliograph-store"


class UnixSocketPool(ConnectionPool):
    """Keep-alive connections to the one HTTP server listening on `path`."""

    def __init__(self, path: Path, connect_timeout_s: float, read_timeout_s: float) -> None:
        # Nothing goes through the policy: every connection is made to `path` below.
        super().__init__(connect_timeout_s, read_timeout_s, policy=OutboundPolicy(AllowList()))
        self.path = path
        self._connect_timeout = connect_timeout_s

    async def _connect(self, origin: Origin) -> UpstreamConnection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_unix_connection(
                    lambda: UpstreamConnection(self, origin), str(self.path)
                )
        except OSError as exc:  # no such socket yet, refused: the store is (re)starting
            raise UpstreamUnreachable(f"{type(exc).__name__}: {exc}") from None
        return connection

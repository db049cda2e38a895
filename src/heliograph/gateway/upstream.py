"""The one connection pool every proxied call goes out through."""

from __future__ import annotations

from collections.abc import Iterable

from heliograph.config import Settings
from heliograph.gateway.http_client import ConnectionPool
from heliograph.gateway.http_response import UpstreamResponse


class Upstream:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: ConnectionPool | None = None

    async def request(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes = b""
    ) -> UpstreamResponse:
        """See ConnectionPool.request."""
        if self._pool is None:
            raise RuntimeError("upstream client used before start-up")
        return await self._pool.request(method, url, headers, body)

    async def open(self) -> None:
        self._pool = ConnectionPool(
            connect_timeout_s=self._settings.upstream_connect_timeout_s,
            read_timeout_s=self._settings.upstream_read_timeout_s,
        )

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

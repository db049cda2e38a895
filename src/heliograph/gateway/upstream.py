"""The one pooled aiohttp client every proxied call goes out through."""

from __future__ import annotations

import aiohttp

from heliograph.config import Settings


class Upstream:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("upstream client used before start-up")
        return self._session

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=0, ttl_dns_cache=300, keepalive_timeout=60, enable_cleanup_closed=True
        )
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._settings.upstream_connect_timeout_s,
            sock_read=self._settings.upstream_read_timeout_s,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            # Forward the caller's headers as they are: add none of aiohttp's own.
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            # Never carry one tenant's upstream cookies into another tenant's call.
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

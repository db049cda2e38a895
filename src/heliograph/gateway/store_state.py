"""Rate-limit windows and cached responses kept by the store process, for the gateway
workers of `serve --workers N` when no Redis is configured.

One process keeps them (its in-memory limiter and cache, workers/state_routes.py serves
them on its Unix socket), so limits stay exact across workers and a response cached by one
worker answers a call to another, at one local round trip (~0.1 ms) per call that uses a
limit or the cache. While the store process is away (it restarts after a failure) these
behave as the Redis ones do during a Redis outage: the cache answers "nothing cached" and
the limiter admits, or refuses with `ratelimit_fail = "closed"`.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

import orjson

from heliograph.httpclient.local_socket import LOCAL_ORIGIN
from heliograph.httpclient.pool import ConnectionPool

log = logging.getLogger("heliograph.gateway")
STATE_PATH = "/_heliograph/state/"
WARN_INTERVAL_S = 60.0
_JSON = [("content-type", "application/json")]


class StoreState:
    """Calls of the store process's state routes; None when it did not answer."""

    def __init__(self, store: ConnectionPool, what: str) -> None:
        self._store = store
        self._what = what
        self._last_warning = 0.0

    async def call(self, operation: str, arguments: dict[str, Any]) -> Any:
        url = LOCAL_ORIGIN + STATE_PATH + operation
        try:
            answer = await self._store.request("POST", url, _JSON, orjson.dumps(arguments))
            body = await answer.read()
            if answer.status != 200:
                raise ValueError(f"HTTP {answer.status}: {body[:200]!r}")
            return orjson.loads(body)
        except Exception as exc:  # the store process restarting must not fail the call
            now = time.monotonic()
            if now - self._last_warning >= WARN_INTERVAL_S:
                self._last_warning = now
                log.warning("%s in the store process unavailable: %s", self._what, exc)
            return None


class StoreRateLimiter:
    """gateway/ratelimit.py's RateLimiter, its windows in the store process."""

    def __init__(self, store: ConnectionPool, fail_closed: bool) -> None:
        self._state = StoreState(store, "rate limits")
        self._fail_closed = fail_closed

    async def admit(
        self, key: str, quota: float, window_s: int, amount: float
    ) -> tuple[bool, float]:
        arguments = {"key": key, "quota": quota, "window_s": window_s, "amount": amount}
        answer = await self._state.call("admit", arguments)
        if answer is None:
            return (not self._fail_closed), 0.0
        return bool(answer["admitted"]), float(answer["used"])

    async def charge(self, key: str, window_s: int, amount: float) -> None:
        if amount > 0:
            await self._state.call("charge", {"key": key, "window_s": window_s, "amount": amount})

    async def close(self) -> None:
        """Nothing of its own to close: the pool is the worker's."""


class StoreCacheStore:
    """gateway/cache_store.py's CacheStore, its buckets in the store process."""

    def __init__(self, store: ConnectionPool) -> None:
        self._state = StoreState(store, "the response cache")

    async def bucket(self, key: str) -> list[bytes]:
        answer = await self._state.call("bucket", {"key": key})
        return [] if answer is None else [base64.b64decode(entry) for entry in answer]

    async def add(self, key: str, entry: bytes, max_size: int, ttl_s: int) -> None:
        encoded = base64.b64encode(entry).decode()
        arguments = {"key": key, "entry": encoded, "max_size": max_size, "ttl_s": ttl_s}
        await self._state.call("add", arguments)

    async def clear(self, prefix: str) -> int:
        answer = await self._state.call("clear", {"prefix": prefix})
        return 0 if answer is None else int(answer)

    async def close(self) -> None:
        """Nothing of its own to close: the pool is the worker's."""

"""A TTL cache in front of a metadata-database read that outlives a database outage.

While the database cannot be reached, an entry's last known value is served however old it
is: a stale key beats a failed call, and a key revoked here was already dropped from the
cache at revoke time. After a failure the database is asked again only once `retry_s` has
passed, so that every request does not hammer (or wait on) a database that is down. A read
with nothing cached to fall back on raises MetaUnavailable, which the gateway and the REST
API answer with 503.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from heliograph.errors import MetaUnavailable
from heliograph.throttled_log import ThrottledLog, describe

# SQLAlchemy wraps the driver's errors (connection refused, server gone mid-query); a
# socket error can still surface unwrapped, e.g. while a pooled connection is re-made.
DATABASE_DOWN = (SQLAlchemyError, OSError)
RETRY_S = 5.0
MAX_ENTRIES = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

log = logging.getLogger("heliograph.meta")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    fresh_until: float  # time.monotonic()


class StaleIfDownCache(Generic[K, V]):
    """`read(key)` (blocking, run on a thread) cached for `ttl_s(value)` seconds."""

    def __init__(
        self,
        read: Callable[[K], V],
        what: str,
        ttl_s: Callable[[V], float],
        retry_s: float = RETRY_S,
        warnings: ThrottledLog | None = None,
    ) -> None:
        self._read = read
        self._what = what  # for the log line: "API keys", "provider keys"
        self._ttl_s = ttl_s
        self._retry_s = retry_s
        self._warnings = warnings or ThrottledLog(log)
        self._entries: dict[K, _Entry[V]] = {}
        self._down_until = 0.0  # after a failure, the database is left alone until then

    async def get(self, key: K) -> V:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.fresh_until > now:
            return entry.value
        if now < self._down_until:
            return self._stale(entry)
        try:
            value = await asyncio.to_thread(self._read, key)
        except DATABASE_DOWN as exc:
            self._down_until = time.monotonic() + self._retry_s
            self._warnings.warning(
                "metadata-database-down",
                "metadata database unavailable (%s): serving cached %s, answering 503 to "
                "the rest; asking again every %.0f s",
                describe(exc),
                self._what,
                self._retry_s,
            )
            return self._stale(entry)
        if self._down_until:
            log.info("metadata database reachable again (read %s)", self._what)
            self._down_until = 0.0
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = _Entry(value, now + self._ttl_s(value))
        return value

    def _stale(self, entry: _Entry[V] | None) -> V:
        if entry is None:
            raise MetaUnavailable(retry_after_s=max(1, math.ceil(self._retry_s)))
        return entry.value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def forget_where(self, matches: Callable[[V], bool]) -> None:
        """Drop every entry whose value `matches`, e.g. all lookups of a revoked key."""
        for key, entry in list(self._entries.items()):
            if matches(entry.value):
                self._entries.pop(key, None)

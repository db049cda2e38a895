"""Where cached responses live: in this process (bounded LRU) or in Redis (shared).

One small interface: a cache key holds a *bucket* of up to N serialized responses. The
in-process store needs no service; the Redis store lets many gateway processes share one
cache. A Redis outage never fails a request: the store answers "nothing cached" and the
call goes upstream, with a warning logged at most once a minute.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger("heliograph.cache")
WARN_INTERVAL_S = 60.0


class CacheStore(Protocol):
    async def bucket(self, key: str) -> list[bytes]:
        """The responses stored under `key` (empty when none or expired)."""

    async def add(self, key: str, entry: bytes, max_size: int, ttl_s: int) -> None:
        """Store one more response under `key` unless its bucket already holds `max_size`."""

    async def clear(self, prefix: str) -> int:
        """Forget every key starting with `prefix`; the number of keys removed."""

    async def close(self) -> None: ...


class MemoryCacheStore:
    """An LRU of buckets bounded by total bytes, each bucket with its own expiry."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._buckets: OrderedDict[str, tuple[list[bytes], float]] = OrderedDict()

    async def bucket(self, key: str) -> list[bytes]:
        found = self._buckets.get(key)
        if found is None:
            return []
        entries, expires = found
        if expires <= time.monotonic():
            self._drop(key)
            return []
        self._buckets.move_to_end(key)
        return list(entries)

    async def add(self, key: str, entry: bytes, max_size: int, ttl_s: int) -> None:
        entries = await self.bucket(key)
        if len(entries) >= max_size:
            return
        self._drop(key)
        entries.append(entry)
        self._buckets[key] = (entries, time.monotonic() + ttl_s)
        self._bytes += sum(len(e) for e in entries)
        while self._bytes > self._max_bytes and self._buckets:
            self._drop(next(iter(self._buckets)))

    def _drop(self, key: str) -> None:
        found = self._buckets.pop(key, None)
        if found is not None:
            self._bytes -= sum(len(e) for e in found[0])

    async def clear(self, prefix: str) -> int:
        doomed = [key for key in self._buckets if key.startswith(prefix)]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    async def close(self) -> None:
        self._buckets.clear()
        self._bytes = 0


class RedisCacheStore:
    """Buckets as Redis lists with a TTL; an atomic script keeps a bucket within its size."""

    _ADD = """
local size = redis.call('LLEN', KEYS[1])
if size < tonumber(ARGV[2]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  if size == 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return size
"""

    def __init__(self, url: str, namespace: str = "heliograph:cache:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._namespace = namespace
        self._add = self._redis.register_script(self._ADD)
        self._last_warning = 0.0

    def _down(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_INTERVAL_S:
            self._last_warning = now
            log.warning("Redis cache unavailable (%s): serving without the cache", exc)

    async def bucket(self, key: str) -> list[bytes]:
        try:
            found = await self._redis.lrange(self._namespace + key, 0, -1)
        except Exception as exc:  # any Redis failure means "not cached", never an error
            self._down(exc)
            return []
        return [e if isinstance(e, bytes) else e.encode() for e in found]

    async def add(self, key: str, entry: bytes, max_size: int, ttl_s: int) -> None:
        try:
            await self._add(keys=[self._namespace + key], args=[entry, max_size, ttl_s])
        except Exception as exc:
            self._down(exc)

    async def clear(self, prefix: str) -> int:
        removed = 0
        try:
            async for name in self._redis.scan_iter(match=self._namespace + prefix + "*"):
                removed += int(await self._redis.delete(name))
        except Exception as exc:
            self._down(exc)
        return removed

    async def close(self) -> None:
        await self._redis.aclose()

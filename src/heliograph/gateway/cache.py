"""Response caching with Helicone's headers: `Helicone-Cache-Enabled`, `Cache-Control:
max-age` (or `Helicone-Cache-Control`), `Helicone-Cache-Bucket-Max-Size`,
`Helicone-Cache-Seed`, `Helicone-Cache-Ignore-Keys`.

The key hashes the organization, method, target URL, seed and the request body as canonical
JSON without the ignored keys (dotted paths reach nested keys). A bucket keeps up to N
different answers; a hit is served only once the bucket is full, at random from it.
Streams are kept as the chunks the client received and replayed with the same chunking.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.gateway.cache_store import CacheStore

DEFAULT_TTL_S = 7 * 24 * 3600
MAX_TTL_S = 365 * 24 * 3600
MAX_BUCKET = 20


@dataclass(frozen=True)
class CachePolicy:
    ttl_s: int = DEFAULT_TTL_S
    bucket_size: int = 1
    seed: str = ""
    ignore_keys: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass
class CachedResponse:
    request_id: str  # the call whose answer this is
    status: int
    content_type: str
    stream: bool
    chunks: list[bytes] = field(default_factory=list)  # the body, or the stream as sent

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "request_id": self.request_id,
                "status": self.status,
                "content_type": self.content_type,
                "stream": self.stream,
                "chunks": [base64.b64encode(c).decode() for c in self.chunks],
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> CachedResponse:
        raw = orjson.loads(data)
        chunks = [base64.b64decode(c) for c in raw["chunks"]]
        return cls(raw["request_id"], raw["status"], raw["content_type"], raw["stream"], chunks)


def cache_policy(other: dict[str, str], cache_control: str | None) -> CachePolicy | None:
    """The policy the request's headers ask for, or None when caching is off.

    `Helicone-Cache-Control`, when sent, is read instead of `Cache-Control` (which some HTTP
    clients set on their own, and which goes upstream)."""
    if other.get("helicone-cache-enabled", "").strip().lower() != "true":
        return None
    cache_control = other.get("helicone-cache-control") or cache_control
    warnings: list[str] = []
    ttl = DEFAULT_TTL_S
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and value:
            try:
                ttl = int(value)
            except ValueError:
                raise InvalidRequestError(
                    f"Cache-Control max-age must be seconds, not {value!r}"
                ) from None
    if ttl <= 0:
        raise InvalidRequestError("Cache-Control max-age must be positive")
    if ttl > MAX_TTL_S:
        ttl = MAX_TTL_S
        warnings.append(f"cache max-age clamped to {MAX_TTL_S} s (365 days)")
    raw_size = other.get("helicone-cache-bucket-max-size", "1").strip()
    if not raw_size.isdecimal() or not 1 <= int(raw_size) <= MAX_BUCKET:
        raise InvalidRequestError(
            f"Helicone-Cache-Bucket-Max-Size must be a number from 1 to {MAX_BUCKET}"
        )
    ignore = tuple(
        k.strip() for k in other.get("helicone-cache-ignore-keys", "").split(",") if k.strip()
    )
    return CachePolicy(
        ttl, int(raw_size), other.get("helicone-cache-seed", ""), ignore, tuple(warnings)
    )


def _without(body: Any, path: list[str]) -> Any:
    if not isinstance(body, dict) or not path:
        return body
    head, rest = path[0], path[1:]
    if head not in body:
        return body
    if not rest:
        return {k: v for k, v in body.items() if k != head}
    return {**body, head: _without(body[head], rest)}


def cache_key(
    organization_id: str, method: str, target: str, body: bytes, parsed: Any, policy: CachePolicy
) -> str:
    """`<org>:<sha256>`: the org prefix lets one organization's cache be cleared alone."""
    if isinstance(parsed, dict):
        for key in policy.ignore_keys:
            parsed = _without(parsed, key.split("."))
        canonical = orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    else:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), target.encode(), policy.seed.encode()):
        digest.update(part + b"\0")
    digest.update(canonical)
    return f"{organization_id}:{digest.hexdigest()}"


class ResponseCache:
    def __init__(self, store: CacheStore) -> None:
        self._store = store

    @property
    def store(self) -> CacheStore:
        return self._store

    async def lookup(self, key: str, policy: CachePolicy) -> tuple[CachedResponse, int] | None:
        """A cached answer and its bucket index once the bucket is full, else None."""
        entries = await self._store.bucket(key)
        if len(entries) < policy.bucket_size:
            return None
        index = random.randrange(len(entries))
        try:
            return CachedResponse.decode(entries[index]), index
        except (ValueError, KeyError):
            return None

    async def save(self, key: str, response: CachedResponse, policy: CachePolicy) -> None:
        await self._store.add(key, response.encode(), policy.bucket_size, policy.ttl_s)

    async def clear(self, organization_id: str) -> int:
        return await self._store.clear(organization_id + ":")

    async def close(self) -> None:
        await self._store.close()

"""Rate limit and response cache around one call, the same on every proxy route.

`CallGuard.before` admits the call (or refuses it: a 429) and answers it from the cache
when it can; `after` stores a fresh 2xx answer and charges `u=cents` limits with its cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heliograph.asgi import Send
from heliograph.gateway.cache import (
    CachedResponse,
    CachePolicy,
    ResponseCache,
    cache_key,
    cache_policy,
)
from heliograph.gateway.cache_serve import serve_cached
from heliograph.gateway.ratelimit import (
    Admission,
    RateLimited,
    RateLimiter,
    RateLimitPolicy,
    admit,
    requested_policy,
)
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall

Headers = list[tuple[bytes, bytes]]


@dataclass
class CallPolicies:
    limit: RateLimitPolicy | None
    caching: CachePolicy | None
    admission: Admission | None = None
    cache_key: str | None = None

    @property
    def warnings(self) -> list[str]:
        return list(self.caching.warnings) if self.caching is not None else []


class CallGuard:
    def __init__(self, limiter: RateLimiter, cache: ResponseCache, calls: CallLog) -> None:
        self._limiter = limiter
        self._cache = cache
        self._calls = calls

    @staticmethod
    def read(other: dict[str, str], cache_control: str | None) -> CallPolicies:
        """The call's policies from its headers; raises InvalidRequestError when malformed."""
        return CallPolicies(requested_policy(other), cache_policy(other, cache_control))

    async def before(
        self,
        policies: CallPolicies,
        call: LoggedCall,
        key_parts: tuple[str, str, bytes, Any],
        extra: Headers,
        send: Send,
    ) -> bool:
        """False when the call was answered from the cache; raises RateLimited (its answer
        headers in `extra`) when its limit refuses it.

        `key_parts` (method, target, body, parsed body) identify the answer in the cache.
        """
        limit = policies.limit
        if limit is not None:
            admission = await admit(
                self._limiter, limit, call.organization_id, call.user_id, call.properties
            )
            policies.admission = admission
            extra.extend(admission.headers)
            if not admission.allowed:
                call.rate_limited = True
                raise RateLimited(limit)
        caching = policies.caching
        if caching is not None:
            call.cache_enabled = True
            key = cache_key(call.organization_id, *key_parts, caching)
            hit = await self._cache.lookup(key, caching)
            if hit is not None:
                await serve_cached(call, *hit, extra, send, self._calls.record)
                return False
            extra.append((b"helicone-cache", b"MISS"))
            policies.cache_key = key
        return True

    async def after(
        self,
        policies: CallPolicies,
        call: LoggedCall,
        sent: list[bytes],
        content_type: str,
        cost_nano: int,
    ) -> None:
        """Keep a successful answer in the cache; charge a cents limit with the call's cost
        (nano-USD, its logged row's)."""
        caching = policies.caching
        if (
            policies.cache_key is not None
            and caching is not None
            and call.error is None
            and 200 <= call.status < 300
        ):
            answer = CachedResponse(
                call.request_id, call.status, content_type, call.is_stream, sent
            )
            await self._cache.save(policies.cache_key, answer, caching)
        limit = policies.limit
        if policies.admission is not None and limit is not None and limit.unit == "cents":
            await self._limiter.charge(policies.admission.key, limit.window_s, cost_nano / 1e7)

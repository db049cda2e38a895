"""Custom rate limits: `Helicone-RateLimit-Policy: [quota];w=[window];u=[unit];s=[segment]`.

Sliding windows, exact: every admitted request (or every cent spent) is remembered with its
time, and a call is admitted while what the last `w` seconds used stays under the quota.
`u=request` counts calls as they are admitted; `u=cents` admits while spend is under the
quota and charges each call's cost once it is known. `s=user` keeps one window per
Helicone-User-Id, `s=<property>` one per value of that custom property, no segment one per
organization. In-process by default; Redis (atomic Lua) when many gateways share quotas.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from heliograph.errors import HeliographError, InvalidRequestError

log = logging.getLogger("heliograph.ratelimit")
GRAMMAR = "[quota];w=[window seconds, at least 60];u=[request|cents];s=[user|<property name>]"
MIN_WINDOW_S = 60
WARN_INTERVAL_S = 60.0


class RateLimited(HeliographError):
    status = 429
    kind = "rate_limit_error"

    def __init__(self, policy: RateLimitPolicy) -> None:
        super().__init__(f"Rate limit reached for policy {policy.header()}: try again later")


@dataclass(frozen=True)
class RateLimitPolicy:
    quota: float
    window_s: int
    unit: str = "request"
    segment: str | None = None

    def header(self) -> str:
        quota = int(self.quota) if self.quota == int(self.quota) else self.quota
        text = f"{quota};w={self.window_s};u={self.unit}"
        return text + (f";s={self.segment}" if self.segment else "")


def parse_policy(value: str) -> RateLimitPolicy:
    """The policy in a header value; a 400 explaining the grammar when it is malformed."""
    parts = [p.strip() for p in value.split(";")]
    try:
        quota = float(parts[0])
    except ValueError:
        raise InvalidRequestError(f"Rate limit quota must be a number. Use {GRAMMAR}") from None
    if not 0 < quota < math.inf:  # NaN fails too: it is neither above 0 nor below inf
        raise InvalidRequestError(f"Rate limit quota must be positive. Use {GRAMMAR}")
    fields: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, raw = part.partition("=")
        if not sep or name not in ("w", "u", "s") or not raw or name in fields:
            raise InvalidRequestError(f"Bad rate limit policy part {part!r}. Use {GRAMMAR}")
        fields[name] = raw.strip()
    if "w" not in fields:
        raise InvalidRequestError(f"Rate limit policy needs a window w=. Use {GRAMMAR}")
    window = fields["w"]
    # More than 12 digits is longer than any window worth keeping (and int() refuses 4,300).
    if not window.isdecimal() or len(window) > 12 or int(window) < MIN_WINDOW_S:
        raise InvalidRequestError(f"Rate limit window must be whole seconds >= 60. Use {GRAMMAR}")
    unit = fields.get("u", "request")
    if unit not in ("request", "cents"):
        raise InvalidRequestError(f"Rate limit unit must be request or cents. Use {GRAMMAR}")
    return RateLimitPolicy(quota, int(window), unit, fields.get("s"))


def segment_key(
    policy: RateLimitPolicy, organization_id: str, user_id: str | None, properties: dict[str, str]
) -> str:
    """The window a call counts against: per organization, user or property value."""
    base = f"{organization_id}:{policy.unit}:{policy.window_s}"
    if policy.segment is None:
        return base
    if policy.segment == "user":
        return f"{base}:user={user_id or ''}"
    wanted = policy.segment.lower()
    value = next((v for k, v in properties.items() if k.lower() == wanted), "")
    return f"{base}:{wanted}={value}"


class RateLimiter(Protocol):
    async def admit(
        self, key: str, quota: float, window_s: int, amount: float
    ) -> tuple[bool, float]:
        """Admit a call needing `amount` (0: only check), recording it if admitted.

        Returns whether it is admitted and the usage in the window afterwards.
        """

    async def charge(self, key: str, window_s: int, amount: float) -> None:
        """Record `amount` spent now (the cost of a call, known only after it)."""

    async def close(self) -> None: ...


class _Window:
    """One sliding window: what was admitted when, and the running total of it."""

    __slots__ = ("entries", "total")

    def __init__(self) -> None:
        self.entries: deque[tuple[float, float]] = deque()
        self.total = 0.0

    def expire(self, before: float) -> None:
        entries = self.entries
        while entries and entries[0][0] <= before:
            self.total -= entries.popleft()[1]
        if not entries:
            self.total = 0.0  # no float drift survives an empty window

    def add(self, at: float, amount: float) -> None:
        self.entries.append((at, amount))
        self.total += amount


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def _used(self, key: str, window_s: int, now: float) -> tuple[_Window, float]:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        window.expire(now - window_s)
        return window, window.total

    async def admit(
        self, key: str, quota: float, window_s: int, amount: float
    ) -> tuple[bool, float]:
        now = time.time()
        window, used = self._used(key, window_s, now)
        if used + amount > quota or (amount == 0 and used >= quota):
            return False, used
        if amount:
            window.add(now, amount)
        return True, used + amount

    async def charge(self, key: str, window_s: int, amount: float) -> None:
        now = time.time()
        window, _ = self._used(key, window_s, now)
        window.add(now, amount)

    async def close(self) -> None:
        self._windows.clear()


class RedisRateLimiter:
    """One sorted set per window (score = time, member = `<id>:<amount>`), updated in Lua."""

    # KEYS[1]: the window's entries (score = time), KEYS[2]: their running total. Each entry
    # is added once and subtracted once when it expires, so a call costs O(log n).
    _ADMIT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local quota, amount = tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl = math.ceil(window) + 1
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
if #expired > 0 then
  for _, member in ipairs(expired) do
    used = used - tonumber(string.match(member, ':([^:]+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if redis.call('ZCARD', KEYS[1]) == 0 or used < 0 then used = 0 end
end
if used + amount > quota or (amount == 0 and used >= quota) then
  redis.call('SET', KEYS[2], tostring(used), 'EX', ttl)
  return {0, tostring(used)}
end
if amount > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. ARGV[4])
  redis.call('EXPIRE', KEYS[1], ttl)
  used = used + amount
end
redis.call('SET', KEYS[2], tostring(used), 'EX', ttl)
return {1, tostring(used)}
"""

    def __init__(
        self, url: str, fail_closed: bool, namespace: str = "heliograph:ratelimit:"
    ) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._admit = self._redis.register_script(self._ADMIT)
        self._namespace = namespace
        self._fail_closed = fail_closed
        self._last_warning = 0.0

    def _keys(self, key: str) -> list[str]:
        return [self._namespace + key, self._namespace + key + ":total"]

    def _down(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_INTERVAL_S:
            self._last_warning = now
            mode = "refusing calls (fail closed)" if self._fail_closed else "letting calls through"
            log.warning("Redis rate limiter unavailable (%s): %s", exc, mode)

    async def admit(
        self, key: str, quota: float, window_s: int, amount: float
    ) -> tuple[bool, float]:
        args: list[str | float] = [time.time(), window_s, quota, amount, uuid.uuid4().hex]
        try:
            allowed, used = await self._admit(keys=self._keys(key), args=args)
        except Exception as exc:  # a Redis outage must not take the gateway down with it
            self._down(exc)
            return (not self._fail_closed), 0.0
        return bool(int(allowed)), float(used)

    async def charge(self, key: str, window_s: int, amount: float) -> None:
        if amount > 0:
            try:
                await self._admit(
                    keys=self._keys(key),
                    args=[time.time(), window_s, 1e300, amount, uuid.uuid4().hex],
                )
            except Exception as exc:
                self._down(exc)

    async def close(self) -> None:
        await self._redis.aclose()


def requested_policy(other: dict[str, str]) -> RateLimitPolicy | None:
    """The policy of a call; both spellings of the header are accepted."""
    value = other.get("helicone-ratelimit-policy") or other.get("helicone-rate-limit-policy")
    return parse_policy(value) if value else None


def _number(value: float) -> bytes:
    return str(int(value) if value == int(value) else round(value, 4)).encode()


@dataclass
class Admission:
    allowed: bool
    key: str
    headers: list[tuple[bytes, bytes]]


async def admit(
    limiter: RateLimiter,
    policy: RateLimitPolicy,
    organization_id: str,
    user_id: str | None,
    properties: dict[str, str],
) -> Admission:
    """Check (and for `u=request` count) one call; the Helicone-RateLimit-* headers to send."""
    key = segment_key(policy, organization_id, user_id, properties)
    amount = 1.0 if policy.unit == "request" else 0.0
    allowed, used = await limiter.admit(key, policy.quota, policy.window_s, amount)
    headers = [
        (b"helicone-ratelimit-limit", _number(policy.quota)),
        (b"helicone-ratelimit-remaining", _number(max(policy.quota - used, 0.0))),
        (b"helicone-ratelimit-policy", policy.header().encode()),
    ]
    return Admission(allowed, key, headers)

"""Helicone's retry headers: exponential backoff between attempts at one upstream, within
the server's limits on how many upstream calls one request may cause and how fast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from heliograph.config import Settings
from heliograph.errors import InvalidRequestError

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    factor: float = 2.0
    min_timeout_ms: float = 1000.0
    max_timeout_ms: float = 10000.0
    floor_ms: float = 0.0  # the server's minimum backoff, whatever the headers ask

    def delay_s(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry `attempt` (1-based); Retry-After wins when given."""
        delay = self.min_timeout_ms * self.factor ** (attempt - 1)
        if retry_after:
            try:
                delay = max(float(retry_after), 0.0) * 1000
            except ValueError:
                pass
        return max(min(delay, self.max_timeout_ms), self.floor_ms) / 1000


@dataclass(frozen=True)
class RetryLimits:
    """The server's bounds on retries: retries per request, shortest backoff."""

    max_retries: int = 10
    min_backoff_ms: float = 100.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryLimits:
        return cls(max(0, settings.upstream_max_retries), settings.upstream_retry_min_backoff_ms)


DEFAULT_LIMITS = RetryLimits()


class RetryBudget:
    """The retries one request may still make, across all its fallbacks or chain targets.

    Each target is called once whatever the budget (their number is bounded where they are
    parsed); only calls beyond the first at a target spend it: 20 fallbacks times 20 retries
    would otherwise be 420 upstream calls from one request.
    """

    def __init__(self, retries: int) -> None:
        self.left = retries

    def spend(self) -> None:
        self.left -= 1

    @property
    def spent(self) -> bool:
        return self.left <= 0


def _number(
    headers: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = headers.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidRequestError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise InvalidRequestError(f"{name} must be between {low:g} and {high:g}")
    return value


def retry_policy(
    headers: Mapping[str, str], limits: RetryLimits = DEFAULT_LIMITS
) -> RetryPolicy | None:
    """The policy asked for by lower-cased `helicone-retry-*` headers, or None (no retries)."""
    if headers.get("helicone-retry-enabled", "").strip().lower() != "true":
        return None
    return RetryPolicy(
        retries=int(_number(headers, "helicone-retry-num", 5, 0, 20)),
        factor=_number(headers, "helicone-retry-factor", 2, 1, 10),
        min_timeout_ms=_number(headers, "helicone-retry-min-timeout", 1000, 0, 600_000),
        max_timeout_ms=_number(headers, "helicone-retry-max-timeout", 10000, 0, 600_000),
        floor_ms=limits.min_backoff_ms,
    )

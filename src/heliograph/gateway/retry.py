"""Helicone's retry headers: exponential backoff between attempts at one upstream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from heliograph.errors import InvalidRequestError

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    factor: float = 2.0
    min_timeout_ms: float = 1000.0
    max_timeout_ms: float = 10000.0

    def delay_s(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry `attempt` (1-based); Retry-After wins when given."""
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), self.max_timeout_ms / 1000)
            except ValueError:
                pass
        delay = self.min_timeout_ms * self.factor ** (attempt - 1)
        return min(delay, self.max_timeout_ms) / 1000


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


def retry_policy(headers: Mapping[str, str]) -> RetryPolicy | None:
    """The policy asked for by lower-cased `helicone-retry-*` headers, or None (no retries)."""
    if headers.get("helicone-retry-enabled", "").strip().lower() != "true":
        return None
    return RetryPolicy(
        retries=int(_number(headers, "helicone-retry-num", 5, 0, 20)),
        factor=_number(headers, "helicone-retry-factor", 2, 1, 10),
        min_timeout_ms=_number(headers, "helicone-retry-min-timeout", 1000, 0, 600_000),
        max_timeout_ms=_number(headers, "helicone-retry-max-timeout", 10000, 0, 600_000),
    )

"""One upstream, attempted until it answers or the retries run out: the one retry loop of
the passthrough proxy and the unified gateway (Helicone-Retry-* headers, the request's
retry budget)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from heliograph.gateway.retry import RETRYABLE_STATUSES, RetryBudget, RetryPolicy
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse

# Told of each attempt that is retried: its answer (still unread, released afterwards), or
# None when it got none (`detail` says why: "timed out", "unreachable (...)").
RetriedAttempt = Callable[[UpstreamResponse | None, str], Awaitable[None]]


async def _forget(response: UpstreamResponse | None, detail: str) -> None:
    return None


async def attempt_with_retries(
    send_once: Callable[[], Awaitable[UpstreamResponse]],
    policy: RetryPolicy | None,
    budget: RetryBudget,
    retried: RetriedAttempt = _forget,
    retry_on: frozenset[int] = RETRYABLE_STATUSES,
) -> UpstreamResponse:
    """Call `send_once` again on a retryable status, a timeout or a broken connection while
    the policy and the request's budget allow; the last attempt's answer is returned, or its
    exception raised. Other exceptions (a URL the outbound policy refuses) end at once."""
    attempt = 0
    while True:
        attempt += 1
        if policy is None or attempt > policy.retries or budget.spent:
            return await send_once()
        retry_after = None
        try:
            response = await send_once()
        except TimeoutError:
            await retried(None, "timed out")
        except UpstreamConnectionError as exc:
            await retried(None, f"unreachable ({type(exc).__name__})")
        else:
            if response.status not in retry_on:
                return response
            retry_after = response.headers.get("retry-after")
            try:
                await retried(response, "")
            finally:
                response.release()
        budget.spend()
        await asyncio.sleep(policy.delay_s(attempt, retry_after))

"""The one retry loop (gateway/attempts.py), alone: what is retried, how often, what ends it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from heliograph.gateway.attempts import attempt_with_retries
from heliograph.gateway.retry import RetryBudget, RetryPolicy
from heliograph.httpclient.response import UpstreamDisconnected

FAST = RetryPolicy(retries=3, min_timeout_ms=0, max_timeout_ms=0)


class Answer:
    """The parts of an UpstreamResponse the loop reads."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.headers: dict[str, str] = {}
        self.released = False

    def release(self) -> None:
        self.released = True


def upstream(*outcomes: Any) -> tuple[Callable[[], Awaitable[Any]], list[Any]]:
    """A send_once giving `outcomes` in turn (an Answer, or an exception to raise)."""
    given: list[Any] = []

    async def send_once() -> Any:
        outcome = outcomes[len(given)]
        given.append(outcome)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return send_once, given


def run(*outcomes: Any, policy: RetryPolicy | None = FAST, budget: int = 10) -> tuple[Any, list]:
    send_once, _ = upstream(*outcomes)
    retried: list[tuple[int, str]] = []

    async def note(response: Any, detail: str) -> None:
        retried.append((response.status if response else 0, detail))

    async def attempt() -> Any:
        return await attempt_with_retries(send_once, policy, RetryBudget(budget), note)

    return asyncio.run(attempt()), retried


def test_a_retryable_status_is_retried_until_an_answer_that_is_not():
    ok = Answer(200)
    limited = [Answer(429), Answer(503)]
    answer, retried = run(*limited, ok)
    assert answer is ok and retried == [(429, ""), (503, "")]
    assert all(a.released for a in limited), "each retried answer is released"


def test_the_last_attempt_s_answer_is_returned_whatever_it_is():
    answer, retried = run(Answer(429), Answer(429), Answer(429), Answer(500))
    assert answer.status == 500 and len(retried) == 3


def test_without_a_policy_there_is_one_attempt():
    answer, retried = run(Answer(429), policy=None)
    assert answer.status == 429 and retried == []


def test_the_request_s_budget_ends_the_retries():
    answer, retried = run(Answer(429), Answer(429), Answer(200), budget=1)
    assert answer.status == 429 and retried == [(429, "")]


def test_timeouts_and_broken_connections_are_retried_and_the_last_one_raised():
    outcomes = [TimeoutError(), UpstreamDisconnected("gone"), TimeoutError(), TimeoutError()]
    with pytest.raises(TimeoutError):
        run(*outcomes)
    answer, retried = run(TimeoutError(), Answer(200))
    assert answer.status == 200 and retried == [(0, "timed out")]


def test_other_errors_end_at_once():
    with pytest.raises(ValueError):
        run(ValueError("refused by the outbound policy"), Answer(200))

"""The sign-in throttle's policy with a hand-driven clock: delays, the escape hatch, bounds."""

from __future__ import annotations

import pytest

from heliograph.api.signin_throttle import FailureCounter, SignInThrottle
from heliograph.config import Settings
from heliograph.errors import RetryLaterError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_doubles_up_to_its_cap():
    counter = FailureCounter(limit=2, base_s=1.0, max_s=4.0, capacity=10)
    counter.record_failure("k", 0.0)
    assert counter.locked_for("k", 0.0) == 0.0
    delays = []
    now = 0.0
    for _ in range(4):
        counter.record_failure("k", now)
        delays.append(counter.locked_for("k", now))
        now += delays[-1]
    assert delays == [1.0, 2.0, 4.0, 4.0]


def test_state_is_bounded_and_forgets_quiet_keys():
    counter = FailureCounter(limit=1, base_s=1.0, max_s=10.0, capacity=3)
    for key in "abcde":
        counter.record_failure(key, 0.0)
    assert [counter.failures(key, 0.0) for key in "abcde"] == [0, 0, 1, 1, 1]
    assert counter.failures("e", 10.0) == 1
    assert counter.failures("e", 20.5) == 0, "quiet for a whole maximum lockout: forgotten"


def _throttle(clock: Clock) -> SignInThrottle:
    settings = Settings(
        signin_max_failures=3, signin_account_max_failures=6, signin_address_max_failures=8
    )
    return SignInThrottle(settings, clock)


def test_a_clean_address_passes_an_account_lockout_but_not_a_pair_lockout():
    clock = Clock()
    throttle = _throttle(clock)
    for attacker in ("10.0.0.1", "10.0.0.2"):
        for _ in range(3):
            throttle.check("Victim@example.com", attacker)
            throttle.failed("victim@example.com ", attacker)
    with pytest.raises(RetryLaterError) as refused:
        throttle.check("victim@example.com", "10.0.0.1")
    assert refused.value.status == 429 and refused.value.retry_after_s == 30
    throttle.check("victim@example.com", "10.0.0.9")  # the user's own address: let through
    throttle.failed("victim@example.com", "10.0.0.9")
    with pytest.raises(RetryLaterError):  # one failure while the account is locked: wait
        throttle.check("victim@example.com", "10.0.0.9")
    clock.now += 60  # the account's lock, doubled by that 7th failure, is over too
    throttle.check("victim@example.com", "10.0.0.1")


def test_one_address_spraying_many_accounts_is_locked_out():
    clock = Clock()
    throttle = _throttle(clock)
    for n in range(8):
        throttle.check(f"user{n}@example.com", "10.0.0.1")
        throttle.failed(f"user{n}@example.com", "10.0.0.1")
    with pytest.raises(RetryLaterError):
        throttle.check("someone-else@example.com", "10.0.0.1")
    throttle.check("someone-else@example.com", "10.0.0.2")


def test_success_clears_the_pair():
    throttle = _throttle(Clock())
    for _ in range(2):
        throttle.failed("a@example.com", "10.0.0.1")
    throttle.succeeded("a@example.com", "10.0.0.1")
    for _ in range(2):
        throttle.failed("a@example.com", "10.0.0.1")
    throttle.check("a@example.com", "10.0.0.1")

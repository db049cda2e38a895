"""Sign-in throttling: failed password sign-ins make further attempts wait, without hashing.

Failures are counted three ways. Per (e-mail, client address) pair the limit is tight: one
address guessing one account's password soon waits. Per client address over all e-mails
it is looser and strict: one address spraying many accounts waits too. Per e-mail over all
addresses it is loose, and a pair with no failures is let through even then: an attacker
guessing from many addresses cannot lock the real user out, whose own address has not
failed; each attacking address gets only a guess or so per lockout.

Each wait starts at `signin_lockout_s` and doubles with every further failure, up to
`signin_lockout_max_s`. The state lives in this process's memory, in least-recently-used
maps of at most `signin_throttle_entries` keys each; e-mails are kept as short digests.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from heliograph.config import Settings
from heliograph.errors import RetryLaterError


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class FailureCounter:
    """Failures per key; a key reaching `limit` failures is locked for a doubling delay."""

    def __init__(self, limit: int, base_s: float, max_s: float, capacity: int) -> None:
        self._limit = max(1, limit)
        self._base_s = base_s
        self._max_s = max_s
        self._capacity = max(1, capacity)
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def _get(self, key: str, now: float) -> _Failures | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        # Forgotten once quiet for a whole maximum lockout after its last lock or failure.
        if now > max(entry.locked_until, entry.last_failure) + self._max_s:
            del self._entries[key]
            return None
        return entry

    def failures(self, key: str, now: float) -> int:
        entry = self._get(key, now)
        return 0 if entry is None else entry.count

    def locked_for(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        entry = self._get(key, now)
        return 0.0 if entry is None else max(0.0, entry.locked_until - now)

    def record_failure(self, key: str, now: float) -> None:
        entry = self._get(key, now) or _Failures()
        entry.count += 1
        entry.last_failure = now
        if entry.count >= self._limit:
            doublings = min(entry.count - self._limit, 30)  # 2**30 is past any cap
            entry.locked_until = now + min(self._base_s * 2**doublings, self._max_s)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


class SignInThrottle:
    """Decides whether a password sign-in may be checked, and learns from its outcome."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        def counter(limit: int) -> FailureCounter:
            return FailureCounter(
                limit,
                settings.signin_lockout_s,
                settings.signin_lockout_max_s,
                settings.signin_throttle_entries,
            )

        self._pairs = counter(settings.signin_max_failures)
        self._accounts = counter(settings.signin_account_max_failures)
        self._addresses = counter(settings.signin_address_max_failures)
        self._clock = clock

    def check(self, email: str, address: str) -> None:
        """Raise RetryLaterError (429, with the wait) when this attempt must not be checked."""
        now = self._clock()
        account, pair = _keys(email, address)
        wait = max(self._pairs.locked_for(pair, now), self._addresses.locked_for(address, now))
        if self._pairs.failures(pair, now) > 0:
            wait = max(wait, self._accounts.locked_for(account, now))
        if wait > 0:
            raise RetryLaterError(
                f"Too many failed sign-ins; retry in {math.ceil(wait)} s", math.ceil(wait)
            )

    def failed(self, email: str, address: str) -> None:
        now = self._clock()
        account, pair = _keys(email, address)
        self._pairs.record_failure(pair, now)
        self._accounts.record_failure(account, now)
        self._addresses.record_failure(address, now)

    def succeeded(self, email: str, address: str) -> None:
        self._pairs.forget(_keys(email, address)[1])


def _keys(email: str, address: str) -> tuple[str, str]:
    """Keys of the account and of the (account, address) pair: fixed-size, whatever is sent."""
    account = hashlib.blake2b(email.strip().lower().encode(), digest_size=16).hexdigest()
    return account, f"{account} {address}"

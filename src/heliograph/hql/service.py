"""HQL's per-app state: saved queries, the documented rate limits, the checker's thread."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from heliograph.hql import errors
from heliograph.hql.errors import HqlError
from heliograph.hql.execute import HqlLimits
from heliograph.hql.saved_queries import SavedQueryStore

# Helicone's documented API limits: 100 queries and 10 CSV downloads per minute.
EXECUTE_PER_MINUTE = 100
DOWNLOADS_PER_MINUTE = 10
WINDOW_S = 60.0


class RateWindows:
    """Sliding one-minute windows per organization and kind of call, in this process."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], deque[float]] = {}

    def admit(self, organization_id: str, kind: str, per_minute: int) -> None:
        now = time.monotonic()
        calls = self._calls.setdefault((organization_id, kind), deque())
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= per_minute:
            raise HqlError(
                errors.RATE_LIMITED,
                f"Rate limit reached: at most {per_minute} HQL {kind} calls per minute",
            )
        calls.append(now)


class HqlService:
    def __init__(self, sessions: sessionmaker[Session], limits: HqlLimits | None = None) -> None:
        self.saved = SavedQueryStore(sessions)
        self.limits = limits or HqlLimits()
        self.rates = RateWindows()
        # Queries are checked on this one thread, one at a time, off the event loop (which
        # still shares the GIL with it: the length limit is what bounds the check).
        # Fair turns on the engine come from store/fair_reads.py.
        self.checker = ThreadPoolExecutor(1, thread_name_prefix="hql-check")

"""Online evaluation yields to live traffic. While calls other than judges' are being logged,
jobs run one at a time, each after a rest of (100 / share - 1) times the previous job's
duration, so evaluation takes at most `share` percent of the time; with no other traffic
every slot runs flat out. The backlog this builds under load (visible on /healthz) drains
when traffic eases.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

MAX_REST_S = 10.0


class Pacer:
    def __init__(self, traffic: Callable[[], int], share_percent: float) -> None:
        self._traffic = traffic  # logged rows so far that were not a judge's call
        self._factor = 100 / share_percent - 1
        self._seen = 0
        self._lock = asyncio.Lock()
        self._rest_s = 0.0

    def busy(self) -> bool:
        """Whether calls other than judges' were logged since the last look."""
        now = self._traffic()
        busy, self._seen = now > self._seen, now
        return busy

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Around one job: while traffic flows, one job at a time after its rest."""
        if not self.busy() and not self._lock.locked():
            yield
            return
        async with self._lock:
            if self._rest_s:
                await asyncio.sleep(self._rest_s)
            started = time.monotonic()
            try:
                yield
            finally:
                took = time.monotonic() - started
                self._rest_s = min(took * self._factor, MAX_REST_S) if self.busy() else 0.0

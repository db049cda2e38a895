"""Online evaluation yields to live traffic: while calls other than judges' are being logged,
each worker slot rests after a job for as long as the job took, times (100 / share - 1), so
evaluation takes at most `share` percent of a slot's time; with no other traffic it runs flat
out. The backlog this builds under load (visible on /healthz) drains when traffic eases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

MAX_REST_S = 10.0


class Pacer:
    def __init__(self, traffic: Callable[[], int], share_percent: float) -> None:
        self._traffic = traffic  # logged rows so far that were not a judge's call
        self._factor = 100 / share_percent - 1
        self._seen = 0

    def busy(self) -> bool:
        """Whether calls other than judges' were logged since the last look."""
        now = self._traffic()
        busy, self._seen = now > self._seen, now
        return busy

    async def rest(self, job_seconds: float) -> None:
        """Rest after a job that took `job_seconds`, if traffic is flowing."""
        if self.busy():
            await asyncio.sleep(min(job_seconds * self._factor, MAX_REST_S))

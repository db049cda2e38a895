"""Online evaluation yields to live traffic: while other calls are being logged, each worker
slot rests after a job for as long as the job took, times (100 / share - 1), so evaluation
takes at most `share` percent of a slot's time; with no other traffic it runs flat out.
The backlog this builds under load (visible on /healthz) drains when traffic eases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Pacer:
    def __init__(self, submitted: Callable[[], int], share_percent: float) -> None:
        self._submitted = submitted  # rows the log pipeline took so far (every call logged)
        self._factor = 100 / share_percent - 1
        self._seen = submitted()
        self._own = 0  # rows this worker's judge calls added since last looked

    def count_own(self, rows: int) -> None:
        self._own += rows

    def busy(self) -> bool:
        """Whether calls other than this worker's were logged since the last look."""
        now = self._submitted()
        others = now - self._seen - self._own
        self._seen, self._own = now, 0
        return others > 0

    async def rest(self, job_seconds: float) -> None:
        """Rest after a job that took `job_seconds`, if traffic is flowing."""
        if self.busy():
            await asyncio.sleep(min(job_seconds * self._factor, 60.0))

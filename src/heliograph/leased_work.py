"""Workers of leased jobs (webhook deliveries, online evaluations, experiment calls): the
shell they share (LeasedWorker), and how one stops. Its claiming loop is given a moment to
end (not cancelled outright: a claim cancelled mid-query would still lease its rows), work
in flight a moment to finish, and what is left is cancelled and handed back to the queue at
once rather than when its lease runs out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

DRAIN_ON_STOP_S = 5.0
log = logging.getLogger("heliograph")


async def stop_leased_work(
    loop_task: asyncio.Task[None] | None,
    in_flight: dict[str, asyncio.Task[None]],
    release: Callable[[list[str]], None],  # blocking: run on a worker thread
    drain_s: float = DRAIN_ON_STOP_S,
) -> None:
    """Raises what `release` raised (the jobs then wait for their lease to end)."""
    if loop_task is not None:
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(loop_task, drain_s)
    if in_flight:
        await asyncio.wait(list(in_flight.values()), timeout=drain_s)
    leftover, tasks = list(in_flight), list(in_flight.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if leftover:
        await asyncio.to_thread(release, leftover)


class LeasedWorker:
    """The shell of a worker of leased jobs: one asyncio task (`_run`, a subclass's) claims
    jobs and runs each in a task of its own, kept in `_in_flight` by job id; `wake` tells
    it new work is due; `stop` ends it as stop_leased_work does, handing back to `release`
    what was still running."""

    def __init__(self, name: str, release: Callable[[list[str]], None]) -> None:
        self._name = name
        self._release = release
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """New work is due (called on the event loop)."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Stop claiming, let work in flight finish briefly, hand the rest back."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        try:
            await stop_leased_work(task, self._in_flight, self._release)
        except Exception:  # the jobs then wait for their lease to end
            log.exception("%s: could not hand back the work in flight", self._name)

    async def _run(self) -> None:
        raise NotImplementedError

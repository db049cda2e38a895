"""Stopping a worker of leased jobs (webhook deliveries, online evaluations): its claiming
loop is given a moment to end (not cancelled outright: a claim cancelled mid-query would
still lease its rows), work in flight a moment to finish, and what is left is cancelled and
handed back to the queue at once rather than when its lease runs out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

DRAIN_ON_STOP_S = 5.0


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

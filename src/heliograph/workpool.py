"""A small thread pool with a bounded queue, for slow work a caller can trigger.

asyncio's default executor (`asyncio.to_thread`) is shared by everything a proxied call
needs: key lookups, spool fsyncs, upstream DNS. Work an outsider can start at will (an
argon2 password check takes tens of milliseconds and 64 MiB) runs here instead, so a flood
of it waits in its own short line, and past that line is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from heliograph.errors import RetryLaterError

T = TypeVar("T")


class BoundedPool:
    """`threads` low-priority workers and at most `queue` jobs waiting; more get a 503."""

    def __init__(self, name: str, threads: int, queue: int) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(
            max(1, threads), thread_name_prefix=name, initializer=_lowest_cpu_priority
        )
        # A slot is taken when a job is submitted and given back when the job ends in its
        # thread, not when the awaiting request goes away: a disconnected client's job still
        # holds its thread until the work is done.
        self._slots = threading.BoundedSemaphore(max(1, threads) + max(0, queue))

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` on this pool's threads; RetryLaterError (503) when the queue is full."""
        if not self._slots.acquire(blocking=False):
            raise RetryLaterError(f"Too many {self.name} jobs waiting; retry shortly", 1, 503)
        try:
            job: Future[T] = self._executor.submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        job.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(job)


def _lowest_cpu_priority() -> None:
    """Run this worker thread (and threads it starts) only on CPU time nothing else wants.

    On Linux a nice value belongs to a thread: the event loop serving proxied calls keeps its
    priority while password hashing, which is slow on purpose, takes what is left over.
    """
    with contextlib.suppress(AttributeError, OSError):  # no per-thread priority here
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)

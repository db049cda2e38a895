"""CPU priority of the embedded store's threads: idle while the log keeps up, low when not.

The event loop and the store share a core on a small machine. A store thread at a lower
nice value still delays a woken event loop: the scheduler (CFS or EEVDF) lets it finish a
slice first, so a request that arrives during a batch insert waits up to milliseconds
(measured: P99 at one connection 2.85 ms with inserts running, 0.92 ms without). A thread
in SCHED_IDLE is always preempted, but gets next to nothing while the loop keeps the core
busy, so at full load the log would fall further and further behind. Hence two modes:

  idle  SCHED_IDLE: the store runs only when the loop has nothing to do;
  low   SCHED_OTHER at nice +10: a fair tenth of a busy core, as much as it needs otherwise.

The store starts idle and goes low when a call (a batch insert, or a query while some
other process keeps the machine busy) has waited longer than `behind_after_s`; it goes back
to idle after at least `low_for_s` once a call is quick again.

Which threads are the store's: chDB's executor thread is marked with the store's nice
value, and ClickHouse starts its own threads from it (or from threads started from it), so
they inherit that nice value, and the current policy, at birth. A switch re-applies the
policy to every thread of the process with that nice value (the event loop's has its
own). Where a thread cannot leave SCHED_IDLE again (an unprivileged
process without RLIMIT_NICE headroom, e.g. in a default container) the store stays low.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger("heliograph.store")

STORE_THREAD_NICE = 10
_SCHED_IDLE: int | None = getattr(os, "SCHED_IDLE", None)
_T = TypeVar("_T")


class StoreThreadPriority:
    def __init__(self, behind_after_s: float = 1.0, low_for_s: float = 1.0) -> None:
        self._behind_after_s = behind_after_s
        self._low_for_s = low_for_s
        own_nice = _nice(threading.get_native_id())
        self._store_nice = min(19, own_nice + STORE_THREAD_NICE)
        # Adaptive only where the store's threads are told apart by their nice value and
        # may come back from SCHED_IDLE.
        self.adaptive = self._store_nice != own_nice and _can_leave_idle()
        self.idle = self.adaptive
        self._low_since = 0.0
        self.switches = 0

    def adopt_current_thread(self) -> None:
        """Give the calling thread (the store's executor thread) the store's priority."""
        with contextlib.suppress(OSError):  # a platform without per-thread nice: run as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._store_nice)
        if self.adaptive:  # this thread, and any store thread an earlier engine left behind
            self._switch(idle=self.idle)

    async def watch(self, call: Awaitable[_T]) -> _T:
        """Await a store call; go low if it waits too long, back to idle once calls are quick."""
        if not self.adaptive:
            return await call
        loop = asyncio.get_running_loop()
        started = loop.time()
        timer = loop.call_later(self._behind_after_s, self._go_low, loop)
        try:
            return await call
        finally:
            timer.cancel()
            now = loop.time()
            quick = now - started < self._behind_after_s / 2
            if not self.idle and quick and now - self._low_since >= self._low_for_s:
                self._switch(idle=True)

    def _go_low(self, loop: asyncio.AbstractEventLoop) -> None:
        self._low_since = loop.time()
        if self.idle:
            self._switch(idle=False)

    def _switch(self, idle: bool) -> None:
        self.idle = idle
        self.switches += 1
        changed = 0
        for thread in _threads():
            if _nice(thread) == self._store_nice:
                changed += _set_idle(thread, idle)
        log.debug("store threads %s: %d switched", "idle" if idle else "low", changed)


def _threads() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:  # no procfs: only the threads we know by their priority at birth
        return []


def _nice(thread: int) -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, thread)
    except OSError:  # the thread has ended
        return 0


def _set_idle(thread: int, idle: bool) -> int:
    """Put `thread` into SCHED_IDLE or back into SCHED_OTHER; 1 if it changed."""
    if _SCHED_IDLE is None:
        return 0
    policy = _SCHED_IDLE if idle else os.SCHED_OTHER
    try:
        if os.sched_getscheduler(thread) == policy:
            return 0
        os.sched_setscheduler(thread, policy, os.sched_param(0))
    except OSError:  # ended meanwhile, or not ours to change
        return 0
    return 1


def _can_leave_idle() -> bool:
    """Whether a thread of this process at the store's nice may return from SCHED_IDLE."""
    idle_policy = _SCHED_IDLE
    if idle_policy is None or not os.path.isdir("/proc/self/task"):
        return False
    result: list[bool] = []

    def probe() -> None:
        thread = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, thread, min(19, _nice(thread) + STORE_THREAD_NICE))
            os.sched_setscheduler(thread, idle_policy, os.sched_param(0))
            os.sched_setscheduler(thread, os.SCHED_OTHER, os.sched_param(0))
            result.append(True)
        except OSError:
            result.append(False)

    prober = threading.Thread(target=probe, name="sched-idle-probe")
    prober.start()
    prober.join()
    return result == [True]

"""CPU priority of the embedded store's threads: idle while the log keeps up, more when not.

The event loop and the store share a core on a small machine. A store thread at a lower
nice value still delays a woken event loop: the scheduler (CFS or EEVDF) lets it finish a
slice first, so a request that arrives during a batch insert waits up to milliseconds
(measured: P99 at one connection 2.85 ms with inserts running, 0.92 ms without). A thread
in SCHED_IDLE is always preempted, but gets next to nothing while the loop keeps the core
busy, so at full load the log would fall further and further behind. Hence levels:

  0  SCHED_IDLE: the store runs only when the loop has nothing to do;
  1  SCHED_OTHER at nice +10: about a tenth of a core the loop keeps busy;
  2  nice +5: about a quarter (streams' rows, 14 KB each, need more than a tenth at full
     load: at +10 the log fell 20,000 rows behind in a 10-minute soak).

The store starts idle. The log pipeline tells it, once a batch period, how many rows wait
beyond one batch: while that number grows, the store steps up a level (at most once per
`behind_after_s`); once nothing waits beyond a batch, it steps down a level (at most once
per `step_down_s`). So it settles at the lowest level at which the log keeps up, or moves
between two of them. A read (a dashboard query, while the loop keeps the core busy) cannot
wait for the log to fall behind: every `behind_after_s` it waits, the store steps up too,
and it does not step down while a read still waits. Inserts are paced by the backlog alone
once a pipeline reports it; a slow insert says little, as bigger batches take longer.

Which threads are the store's: chDB's executor thread is given the store's nice value, and
ClickHouse starts its own threads from it (or from threads started from it), so they
inherit that nice value, and the current policy, at birth. A step re-applies the level to
every thread of the process whose nice value is one of the levels' (the event loop's is
none of them). Where a thread cannot leave SCHED_IDLE or raise its priority again (an
unprivileged process without RLIMIT_NICE headroom, e.g. in a default container) the store
stays at nice +10, as it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger("heliograph.store")

STORE_THREAD_NICE = 10  # level 1's, and the store's at birth
LEVEL_NICE = (STORE_THREAD_NICE, 5)  # levels 1 and 2, over the event loop's own nice
_SCHED_IDLE: int | None = getattr(os, "SCHED_IDLE", None)
_T = TypeVar("_T")


class StoreThreadPriority:
    def __init__(self, behind_after_s: float = 1.0, step_down_s: float = 1.0) -> None:
        self._behind_after_s = behind_after_s
        self._step_down_s = step_down_s
        own_nice = _nice(threading.get_native_id())
        self._nices = [min(19, own_nice + step) for step in LEVEL_NICE]
        # Adaptive only where the store's threads are told apart by their nice values and
        # may come back from SCHED_IDLE and raise their priority.
        distinct = len({own_nice, *self._nices}) == len(LEVEL_NICE) + 1
        self.adaptive = distinct and _can_change_levels(self._nices[0], self._nices[-1])
        self.level = 0 if self.adaptive else 1
        self._stepped_at = 0.0
        self._rows_behind = 0
        self._follows_log = False  # whether a log pipeline reports its backlog
        self._waiting_calls = 0  # calls that have waited over `behind_after_s` and not ended

    @property
    def idle(self) -> bool:
        return self.level == 0

    def adopt_current_thread(self) -> None:
        """Give the calling thread (the store's executor thread) the store's priority."""
        with contextlib.suppress(OSError):  # a platform without per-thread nice: run as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nices[0])
        if self.adaptive:  # this thread, and any store thread an earlier engine left behind
            self._apply()

    def follow_log_backlog(self, rows_behind: int) -> None:
        """Told by the log pipeline, once a batch period, how many rows wait beyond a batch."""
        self._follows_log = True
        if not self.adaptive:
            return
        now = time.monotonic()
        growing = rows_behind > self._rows_behind
        self._rows_behind = rows_behind
        if growing and now - self._stepped_at >= self._behind_after_s:
            self._step(+1, now)
        else:
            self._maybe_step_down(now)

    async def watch(self, call: Awaitable[_T], *, log_write: bool = False) -> _T:
        """Await a store call; step up while it waits too long, down once calls are quick.

        A `log_write` (an insert of the log's rows) is paced by the log's backlog instead,
        once a pipeline reports it.
        """
        if not self.adaptive or (log_write and self._follows_log):
            return await call
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle
        waited_long = False

        def behind() -> None:
            nonlocal timer, waited_long
            if not waited_long:
                waited_long = True
                self._waiting_calls += 1
            self._step(+1, time.monotonic())
            timer = loop.call_later(self._behind_after_s, behind)

        timer = loop.call_later(self._behind_after_s, behind)
        try:
            return await call
        finally:
            timer.cancel()
            if waited_long:
                self._waiting_calls -= 1
            now = time.monotonic()
            if now - started < self._behind_after_s / 2:
                self._maybe_step_down(now)

    def _maybe_step_down(self, now: float) -> None:
        settled = self._rows_behind == 0 and self._waiting_calls == 0
        if settled and now - self._stepped_at >= self._step_down_s:
            self._step(-1, now)

    def _step(self, by: int, now: float) -> None:
        level = max(0, min(len(LEVEL_NICE), self.level + by))
        if level != self.level:
            self.level, self._stepped_at = level, now
            self._apply()

    def _apply(self) -> None:
        nice = self._nices[max(0, self.level - 1)]
        changed = 0
        for thread in _threads():
            if _nice(thread) in self._nices:
                changed += _set_level(thread, self.idle, nice)
        log.debug("store threads at level %d: %d changed", self.level, changed)


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


def _set_level(thread: int, idle: bool, nice: int) -> int:
    """Put `thread` into SCHED_IDLE, or SCHED_OTHER at `nice`; 1 if that changed it."""
    if _SCHED_IDLE is None:
        return 0
    policy = _SCHED_IDLE if idle else os.SCHED_OTHER
    try:
        if os.sched_getscheduler(thread) == policy and (idle or _nice(thread) == nice):
            return 0
        os.sched_setscheduler(thread, policy, os.sched_param(0))
        if not idle:
            os.setpriority(os.PRIO_PROCESS, thread, nice)
    except OSError:  # ended meanwhile, or not ours to change
        return 0
    return 1


def _can_change_levels(lowest: int, highest: int) -> bool:
    """Whether a thread of this process at nice `lowest` may return from SCHED_IDLE and
    raise its priority to nice `highest`."""
    idle_policy = _SCHED_IDLE
    if idle_policy is None or not os.path.isdir("/proc/self/task"):
        return False
    result: list[bool] = []

    def probe() -> None:
        thread = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, thread, lowest)
            os.sched_setscheduler(thread, idle_policy, os.sched_param(0))
            os.sched_setscheduler(thread, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, thread, highest)
            result.append(True)
        except OSError:
            result.append(False)

    prober = threading.Thread(target=probe, name="sched-idle-probe")
    prober.start()
    prober.join()
    return result == [True]

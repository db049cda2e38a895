"""The store's threads: idle while writes are quick, low (nice) while they wait, on real threads."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.thread_priority import LEVEL_NICE, STORE_THREAD_NICE, StoreThreadPriority

pytestmark = pytest.mark.skipif(
    not hasattr(os, "SCHED_IDLE") or not os.path.isdir("/proc/self/task"),
    reason="needs Linux scheduling policies and /proc/self/task",
)


NOT_ADAPTIVE = "this process may not bring a thread back from SCHED_IDLE (no CAP_SYS_NICE)"


def _policy(thread: int) -> int:
    return os.sched_getscheduler(thread)


def _nice(thread: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread)


class StoreThreads:
    """A store-like executor thread that starts a child thread, as ClickHouse does."""

    def __init__(self, priority: StoreThreadPriority) -> None:
        self.ids: list[int] = []
        self._stop = threading.Event()
        started = threading.Event()

        def child() -> None:
            self.ids.append(threading.get_native_id())
            started.set()
            self._stop.wait()

        def parent() -> None:
            priority.adopt_current_thread()
            self.ids.append(threading.get_native_id())
            threading.Thread(target=child).start()
            self._stop.wait()

        threading.Thread(target=parent).start()
        assert started.wait(5)

    def stop(self) -> None:
        self._stop.set()


def _adaptive_priority(**timing: float) -> StoreThreadPriority:
    priority = StoreThreadPriority(**timing)
    if not priority.adaptive:
        pytest.skip(NOT_ADAPTIVE)
    return priority


def test_store_threads_step_up_while_a_call_waits_and_back_to_idle_once_quick():
    priority = _adaptive_priority(behind_after_s=0.05, step_down_s=0.0)
    store = StoreThreads(priority)
    bystander_ids: list[int] = []
    bystander_stop = threading.Event()

    def bystander() -> None:
        bystander_ids.append(threading.get_native_id())
        bystander_stop.wait()

    other = threading.Thread(target=bystander)
    other.start()
    try:
        loop_thread = threading.get_native_id()
        loop_nice = _nice(loop_thread)
        for thread in store.ids:
            assert _policy(thread) == os.SCHED_IDLE
            assert _nice(thread) == min(19, loop_nice + STORE_THREAD_NICE)

        async def slow_then_quick() -> list[tuple[int, int]]:
            seen: list[tuple[int, int]] = []

            async def slow_call() -> None:
                for _ in range(len(LEVEL_NICE)):
                    await asyncio.sleep(0.06)
                    seen.append((_policy(store.ids[0]), _nice(store.ids[0]) - loop_nice))
                await asyncio.sleep(0.1)

            await priority.watch(slow_call())
            assert priority.level == len(LEVEL_NICE)
            for _ in LEVEL_NICE:
                await priority.watch(asyncio.sleep(0))
            return seen

        seen = asyncio.run(slow_then_quick())
        # A level more for every 50 ms the call waited: nice +10, then +5.
        assert seen == [(os.SCHED_OTHER, nice) for nice in LEVEL_NICE]
        assert priority.idle
        assert [_policy(t) for t in store.ids] == [os.SCHED_IDLE] * len(store.ids)
        # Threads that are not the store's are never touched.
        assert _policy(loop_thread) == os.SCHED_OTHER
        assert _policy(bystander_ids[0]) == os.SCHED_OTHER
        assert _nice(bystander_ids[0]) == loop_nice
    finally:
        store.stop()
        bystander_stop.set()
        other.join()


def test_the_store_steps_down_no_faster_than_step_down_s():
    priority = _adaptive_priority(behind_after_s=0.05, step_down_s=60.0)
    store = StoreThreads(priority)
    try:

        async def slow_then_quick() -> int:
            await priority.watch(asyncio.sleep(0.08))
            stepped_up_to = priority.level
            await priority.watch(asyncio.sleep(0))
            await priority.watch(asyncio.sleep(0))
            return stepped_up_to

        stepped_up_to = asyncio.run(slow_then_quick())
        assert stepped_up_to >= 1
        assert priority.level == stepped_up_to
        assert [_policy(t) for t in store.ids] == [os.SCHED_OTHER] * len(store.ids)
    finally:
        store.stop()


def test_a_call_that_fails_still_ends_its_watch():
    priority = StoreThreadPriority(behind_after_s=0.05, step_down_s=0.0)

    async def failing() -> None:
        raise RuntimeError("store down")

    async def run() -> None:
        with pytest.raises(RuntimeError):
            await priority.watch(failing())
        await asyncio.sleep(0.1)  # the cancelled timer must not fire

    asyncio.run(run())
    assert priority.idle == priority.adaptive


def test_chdb_runs_its_threads_idle_while_inserts_are_quick(tmp_path: Path):
    before = set(os.listdir("/proc/self/task"))  # ClickHouse keeps earlier tests' pool threads

    async def run() -> tuple[bool, list[int]]:
        store = ChdbEngine(tmp_path / "store")
        await store.open()
        # "Quick" whatever else the machine runs: a call counts as held up after a minute.
        store.priority._behind_after_s = 60
        try:
            await store.execute("CREATE TABLE t (id UInt32) ENGINE = MergeTree ORDER BY id")
            await store.insert_json_lines("t", [b'{"id": 1}\n'])
            store_nice = _nice(await store._run(threading.get_native_id))
            marked = [
                int(t)
                for t in set(os.listdir("/proc/self/task")) - before
                if _nice(int(t)) == store_nice
            ]
            return store.priority.adaptive, [_policy(t) for t in marked]
        finally:
            await store.close()

    adaptive, policies = asyncio.run(run())
    if not adaptive:
        pytest.skip(NOT_ADAPTIVE)
    assert len(policies) > 1  # chDB's executor and the threads ClickHouse started from it
    assert set(policies) == {os.SCHED_IDLE}


def test_a_slow_query_gives_the_store_its_fair_share_again(tmp_path: Path):
    # A query waiting on a machine kept busy by another process would never finish in
    # SCHED_IDLE: any call that waits too long, not only an insert, takes the store low.
    async def run() -> tuple[bool, bool, bool]:
        store = ChdbEngine(tmp_path / "store")
        await store.open()
        try:
            store.priority._behind_after_s = 0.01
            idle_before = store.priority.idle
            await store.select("SELECT sum(number) AS n FROM numbers(100000000)")
            return store.priority.adaptive, idle_before, store.priority.idle
        finally:
            await store.close()

    adaptive, idle_before, idle_after = asyncio.run(run())
    if not adaptive:
        pytest.skip(NOT_ADAPTIVE)
    assert idle_before and not idle_after


def test_the_log_backlog_steps_the_store_up_while_it_grows_and_down_once_gone():
    priority = _adaptive_priority(behind_after_s=0.0, step_down_s=0.0)
    store = StoreThreads(priority)
    try:
        levels = []
        for rows_behind in (0, 400, 900, 900, 300, 0, 0):
            priority.follow_log_backlog(rows_behind)
            levels.append(priority.level)
        # Up while the backlog grows, held while it shrinks, down a level per report at 0.
        assert levels == [0, 1, 2, 2, 2, 1, 0]
        assert [_policy(t) for t in store.ids] == [os.SCHED_IDLE] * len(store.ids)
    finally:
        store.stop()


def test_a_quick_read_does_not_step_down_while_the_log_is_behind():
    priority = _adaptive_priority(behind_after_s=0.05, step_down_s=0.0)
    store = StoreThreads(priority)
    try:
        priority.follow_log_backlog(500)
        assert priority.level == 1

        async def quick_reads() -> None:
            for _ in range(3):
                await priority.watch(asyncio.sleep(0))

        asyncio.run(quick_reads())
        assert priority.level == 1
        assert [_policy(t) for t in store.ids] == [os.SCHED_OTHER] * len(store.ids)
    finally:
        store.stop()


def test_a_slow_log_insert_is_paced_by_the_backlog_not_its_own_wait():
    priority = _adaptive_priority(behind_after_s=0.02, step_down_s=0.0)

    async def slow_insert() -> int:
        await priority.watch(asyncio.sleep(0.1), log_write=True)
        return priority.level

    assert asyncio.run(slow_insert()) == 2, "no pipeline reports a backlog: the wait counts"
    priority.follow_log_backlog(0)
    priority.follow_log_backlog(0)
    assert priority.level == 0
    assert asyncio.run(slow_insert()) == 0, "a pipeline reports its backlog: that decides"


def test_a_read_waiting_long_holds_the_level_up_until_it_ends():
    priority = _adaptive_priority(behind_after_s=0.02, step_down_s=0.0)

    async def run() -> list[int]:
        seen = []
        slow = asyncio.ensure_future(priority.watch(asyncio.sleep(0.15)))
        await asyncio.sleep(0.05)
        seen.append(priority.level)
        priority.follow_log_backlog(0)  # the log keeps up, but a read still waits
        seen.append(priority.level)
        await slow
        seen.append(priority.level)  # it may have climbed further while the read waited
        priority.follow_log_backlog(0)
        seen.append(priority.level)
        return seen

    during, after_report, at_end, after_end = asyncio.run(run())
    assert during >= 1 and after_report == during and at_end >= during
    assert after_end == at_end - 1

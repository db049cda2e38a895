"""The engine's read scheduler on a real one-thread executor: organizations take turns, a
newcomer waits behind the running query only, a cancelled wait never runs."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from heliograph.store.fair_reads import RoundRobin, reading_for


def test_turns_go_round_and_a_cancelled_wait_is_dropped():
    asyncio.run(_turns())


async def _turns() -> None:
    executor = ThreadPoolExecutor(1)
    scheduler = RoundRobin(executor)
    ran: list[str] = []
    first_started, release_first = threading.Event(), threading.Event()

    def work(name: str) -> str:
        if name == "a0":
            first_started.set()
            assert release_first.wait(5)
        ran.append(name)
        return name

    async def read(organization: str, name: str) -> str:
        reading_for.set(organization)  # each task reads in its own context
        return await scheduler.run(lambda: work(name))

    reads = {"a0": asyncio.create_task(read("a", "a0"))}
    assert await asyncio.to_thread(first_started.wait, 5)
    for name in ("a1", "a2", "a3", "b0", "b1"):
        reads[name] = asyncio.create_task(read(name[0], name))
    await asyncio.sleep(0)  # let each task queue its read
    reads["a2"].cancel()
    insert = asyncio.get_running_loop().run_in_executor(executor, ran.append, "insert")
    release_first.set()
    done = await asyncio.wait_for(
        asyncio.gather(*reads.values(), insert, return_exceptions=True), 5
    )
    executor.shutdown()
    assert isinstance(done[2], asyncio.CancelledError)
    # b0 came with nothing of b's waiting: straight after the running query, then one
    # turn per organization; the insert waited behind the one read that was running.
    assert ran == ["a0", "insert", "b0", "a1", "b1", "a3"]

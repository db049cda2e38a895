"""The two halves of a streamed download: chDB hands rows over in chunks, and the spool
lets the response read each chunk as soon as it is written, long before the end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.hql.csv_stream import ChunkSpool, DownloadCancelled
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.engine import StoreError

GUARD_S = 30  # only against a hang; nothing here depends on timing


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ChdbEngine, asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    store = ChdbEngine(Path(tmp_path_factory.mktemp("hql-stream")))
    loop.run_until_complete(store.open())
    yield store, loop
    loop.run_until_complete(store.close())
    loop.close()


def test_the_engine_hands_a_large_result_over_in_chunks(
    engine: tuple[ChdbEngine, asyncio.AbstractEventLoop],
):
    store, loop = engine
    chunks: list[bytes] = []
    threads: set[str] = set()

    def on_chunk(chunk: bytes) -> None:
        chunks.append(chunk)
        threads.add(threading.current_thread().name)

    loop.run_until_complete(
        store.stream("SELECT number FROM numbers({n:UInt32})", {"n": 1_000_000}, "CSV", on_chunk)
    )
    body = b"".join(chunks)
    assert body == b"".join(b"%d\n" % n for n in range(1_000_000))
    assert len(chunks) > 10 and max(len(c) for c in chunks) < len(body) // 10
    assert all(name.startswith("chdb") for name in threads)  # the engine's own thread


def test_a_failing_chunk_consumer_cancels_the_query(
    engine: tuple[ChdbEngine, asyncio.AbstractEventLoop],
):
    store, loop = engine
    seen = []

    def on_chunk(chunk: bytes) -> None:
        seen.append(chunk)
        raise DownloadCancelled

    with pytest.raises(DownloadCancelled):
        loop.run_until_complete(
            store.stream("SELECT number FROM numbers(1000000)", None, "CSV", on_chunk)
        )
    assert len(seen) == 1
    assert loop.run_until_complete(store.select("SELECT 1 AS one")) == [{"one": 1}]


def test_a_query_failing_midway_raises_a_store_error(
    engine: tuple[ChdbEngine, asyncio.AbstractEventLoop],
):
    store, loop = engine
    with pytest.raises(StoreError, match="FUNCTION_THROW_IF_VALUE_IS_NON_ZERO"):
        loop.run_until_complete(
            store.stream(
                "SELECT throwIf(number = 900000) FROM numbers(1000000)",
                None,
                "CSV",
                lambda chunk: None,
                {"max_block_size": 1000},
            )
        )
    assert loop.run_until_complete(store.select("SELECT 2 AS two")) == [{"two": 2}]


def test_the_spool_gives_each_chunk_to_the_reader_before_the_end():
    async def scenario() -> None:
        spool = ChunkSpool()
        received: list[bytes] = []
        got_one = asyncio.Event()

        async def read() -> None:
            async for chunk in spool.chunks():
                received.append(chunk)
                got_one.set()

        reader = asyncio.create_task(read())
        for piece in (b"first,chunk\n", b"second,chunk\n"):
            got_one.clear()
            await asyncio.to_thread(spool.write, piece)  # as the engine thread does
            await asyncio.wait_for(got_one.wait(), GUARD_S)
            assert not reader.done(), "read while the writer is still going"
        assert received == [b"first,chunk\n", b"second,chunk\n"]
        spool.finish()
        await asyncio.wait_for(reader, GUARD_S)
        spool.cancel()
        with pytest.raises(DownloadCancelled):
            spool.write(b"late")
        spool.close()

    asyncio.run(scenario())


def test_the_spool_keeps_everything_for_a_slow_reader():
    async def scenario() -> None:
        spool = ChunkSpool()
        pieces = [b"%d,x\n" % n * 1000 for n in range(50)]
        await asyncio.to_thread(lambda: [spool.write(piece) for piece in pieces])
        spool.finish()
        assert spool.written == sum(len(piece) for piece in pieces)
        body = b"".join([chunk async for chunk in spool.chunks()])
        assert body == b"".join(pieces)
        spool.close()

    asyncio.run(scenario())

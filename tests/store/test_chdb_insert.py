"""Batch inserts: rows arrive whole whatever the data dir is called, and on chDB they go
through a file; chdb_engine.py's thread yields the CPU to the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import orjson
import pytest

from heliograph.store.engine import StoreError
from heliograph.store.thread_priority import STORE_THREAD_NICE
from tests.store.engines import Engine, open_engine

TABLE = "batch_probe"


async def _engine(path: Path, kind: str = "chdb-core") -> Engine:
    store = await open_engine(kind, path)
    await store.execute(
        f"CREATE TABLE {TABLE} (id UInt32, text String, tags Map(String, String)) "
        "ENGINE = MergeTree ORDER BY id"
    )
    return store


def _line(i: int, text: str) -> bytes:
    return orjson.dumps({"id": i, "text": text, "tags": {"k": text}, "extra": 1}) + b"\n"


@pytest.mark.parametrize("directory", ["plain", "it's quoted", "back\\slash", "ünï code"])
def test_a_large_batch_arrives_whole_in_any_data_dir(
    tmp_path: Path, directory: str, engine_kind: str
):
    async def run() -> list[dict[str, object]]:
        store = await _engine(tmp_path / directory, engine_kind)
        try:
            # More rows than one writev takes, non-ASCII text, an unknown field (skipped).
            lines = [_line(i, f"row {i} é ✓ \\ ' \"") for i in range(2500)]
            await store.insert_json_lines(TABLE, lines)
            return await store.select(
                f"SELECT count() AS n, sum(id) AS ids, any(text) LIKE 'row % é ✓ \\\\\\\\ '' \"' "
                f"AS text_ok FROM {TABLE}"
            )
        finally:
            await store.close()

    assert asyncio.run(run()) == [{"n": 2500, "ids": sum(range(2500)), "text_ok": 1}]
    assert not (tmp_path / directory / "insert-batch.jsonl").exists()


def test_a_refused_batch_raises_and_leaves_no_file(tmp_path: Path, engine_kind: str):
    async def run() -> None:
        store = await _engine(tmp_path, engine_kind)
        try:
            with pytest.raises(StoreError):
                await store.insert_json_lines(TABLE, [b'{"id": "not a number"}\n'])
            assert await store.select(f"SELECT count() AS n FROM {TABLE}") == [{"n": 0}]
        finally:
            await store.close()

    asyncio.run(run())
    assert not (tmp_path / "insert-batch.jsonl").exists()


def test_the_store_thread_runs_at_a_lower_priority(tmp_path: Path):
    async def run() -> tuple[int, int]:
        store = await _engine(tmp_path)
        try:
            store_nice = await store._run(
                lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            )
            return store_nice, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        finally:
            await store.close()

    store_nice, loop_nice = asyncio.run(run())
    assert store_nice == min(19, loop_nice + STORE_THREAD_NICE)


def test_rows_already_in_a_file_are_inserted_from_it(tmp_path: Path, engine_kind: str):
    segment = tmp_path / "seg-000000000001.jsonl"
    lines = [_line(1, "a"), _line(2, "b")]
    segment.write_bytes(b"".join(lines))

    async def run() -> list[dict[str, object]]:
        store = await _engine(tmp_path / "store", engine_kind)
        # Where chdb_engine.py would write a batch file: writing one now fails, so the rows
        # must come from the segment. (A server is sent the lines.)
        (tmp_path / "store" / "insert-batch.jsonl").mkdir(parents=True)
        try:
            await store.insert_json_lines(TABLE, lines, segment)
            return await store.select(f"SELECT id, text FROM {TABLE} ORDER BY id")
        finally:
            await store.close()

    assert asyncio.run(run()) == [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]
    assert segment.exists(), "the segment is the pipeline's: it deletes it once stored"

"""Migrations on a shared server apply once: under a lock table that one process creates at
a time (store/migration_lock.py), run here on the test engines."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from heliograph.store import schema
from heliograph.store.engine import StoreError
from heliograph.store.migration_lock import LOCK_TABLE, migration_lock, take_statement
from heliograph.store.schema import apply_migrations
from tests.store.engines import Engine, open_engine


async def _lock_exists(engine: Engine) -> bool:
    rows = await engine.select(
        "SELECT count() AS n FROM system.tables "
        "WHERE database = currentDatabase() AND name = {name:String}",
        {"name": LOCK_TABLE},
    )
    return rows == [{"n": 1}]


def test_a_second_migrator_waits_for_the_first(tmp_path: Path, engine_kind: str):
    async def run() -> None:
        engine = await open_engine(engine_kind, tmp_path / "ch")
        try:
            async with migration_lock(engine):
                assert await _lock_exists(engine)
                with pytest.raises(StoreError, match=r"migration lock is held by .* pid"):
                    async with migration_lock(engine, wait_s=0.3, poll_s=0.05):
                        pass
            assert not await _lock_exists(engine)
            async with migration_lock(engine, wait_s=0.3, poll_s=0.05):  # free again
                pass
        finally:
            await engine.close()

    asyncio.run(run())


def test_a_lock_left_by_a_dead_migrator_is_taken_over_once_stale(tmp_path: Path, engine_kind: str):
    async def run() -> None:
        engine = await open_engine(engine_kind, tmp_path / "ch")
        try:
            await engine.execute(take_statement("gone-host pid 1"))
            async with migration_lock(engine, stale_s=-1, poll_s=0.05):
                assert await _lock_exists(engine)
            assert not await _lock_exists(engine)
        finally:
            await engine.close()

    asyncio.run(run())


def test_shared_migrations_apply_once_and_take_no_lock_when_none_is_pending(
    tmp_path: Path, engine_kind: str
):
    async def run() -> None:
        engine = await open_engine(engine_kind, tmp_path / "ch")
        try:
            first, second = await asyncio.gather(
                apply_migrations(engine, shared=True), apply_migrations(engine, shared=True)
            )
            assert sorted(first + second) == sorted(m.name for m in schema.MIGRATIONS)
            # Nothing pending: no lock is taken, so a held one does not stop a start.
            await engine.execute(take_statement("someone else"))
            assert await apply_migrations(engine, shared=True) == []
        finally:
            await engine.close()

    asyncio.run(run())

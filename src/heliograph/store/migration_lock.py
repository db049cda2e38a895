"""One migrator at a time on a ClickHouse server that many Heliograph processes share.

ClickHouse has no locks, but `CREATE TABLE` without `IF NOT EXISTS` succeeds for one caller
only: the others are told TABLE_ALREADY_EXISTS (code 57). So the lock is a table, created to
take it and dropped to release it; its comment names the holder. A holder that died leaves
its table behind: one older than `stale_s` is dropped by the next process that waits for it
(two waiters could both see it stale; a crash mid-migration is rare, and every migration
but the backfills is idempotent).

chDB needs none of this: one process owns an embedded store (the data dir's lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator

from heliograph.store.cluster_ddl import on_cluster
from heliograph.store.engine import ClickHouseEngine, StoreError
from heliograph.store.sql_text import literal

log = logging.getLogger("heliograph.store")

LOCK_TABLE = "heliograph_migration_lock"
_TAKEN = "(TABLE_ALREADY_EXISTS)"


def holder_name() -> str:
    """Who holds the lock, as its comment says: host and process id."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def take_statement(holder: str, cluster: str = "") -> str:
    create = f"CREATE TABLE {LOCK_TABLE} (holder String) ENGINE = Memory"
    return on_cluster(create, cluster) + f" COMMENT {literal(holder)}"


def release_statement(cluster: str = "") -> str:
    return on_cluster(f"DROP TABLE IF EXISTS {LOCK_TABLE}", cluster) + " SYNC"


async def _held_for_s(engine: ClickHouseEngine) -> tuple[float, str] | None:
    """How long the lock has been held, and by whom; None when it is free."""
    rows = await engine.select(
        "SELECT toUnixTimestamp(now()) - toUnixTimestamp(metadata_modification_time) AS age, "
        "comment FROM system.tables WHERE database = currentDatabase() AND name = {name:String}",
        {"name": LOCK_TABLE},
    )
    return (float(rows[0]["age"]), str(rows[0]["comment"])) if rows else None


@contextlib.asynccontextmanager
async def migration_lock(
    engine: ClickHouseEngine,
    cluster: str = "",
    *,
    wait_s: float = 900.0,
    stale_s: float = 600.0,
    poll_s: float = 1.0,
) -> AsyncIterator[None]:
    """Hold the store's migration lock for the block; raise StoreError after `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            await engine.execute(take_statement(holder_name(), cluster))
            break
        except StoreError as exc:
            if _TAKEN not in str(exc):
                raise
        held = await _held_for_s(engine)
        if held is None:
            continue  # released meanwhile
        age, holder = held
        if age > stale_s:
            log.warning("migration lock held by %s for %.0f s: taken over as stale", holder, age)
            await engine.execute(release_statement(cluster))
            continue
        if time.monotonic() > deadline:
            raise StoreError(f"the migration lock is held by {holder} (for {age:.0f} s)")
        log.info("waiting for the migration lock, held by %s", holder)
        await asyncio.sleep(poll_s)
    try:
        yield
    finally:
        await engine.execute(release_statement(cluster))

"""Opening a data dir's log store from the command line, when no server holds it.

chDB serves a store directory to one process at a time, and `heliograph serve` holds the
data dir's lock (`heliograph.lock`) for as long as it runs. A command that reads or writes
the store takes the same lock: it opens the store itself when the lock is free (and a
server started meanwhile is refused, as a second server would be), and otherwise goes
through the running server's REST API or says that it cannot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from heliograph.cli_ops.common import fail

if TYPE_CHECKING:
    from heliograph.store.chdb_engine import ChdbEngine

LOCK_FILE = "heliograph.lock"
STORE_DIR = "clickhouse"


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[bool]:
    """Hold the data dir's lock for the block: True, or False when a server holds it."""
    os.umask(0o077)  # what the store writes is the owner's only, as under `serve`
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        fail(f"data dir {data_dir} is not writable: {exc.strerror}")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def store_in_use(data_dir: Path) -> str:
    return f"the log store of {data_dir} is in use by a running server"


@contextlib.asynccontextmanager
async def open_store(data_dir: Path, migrate: bool = True) -> AsyncIterator[ChdbEngine]:
    """The data dir's chDB store (its lock must be held), migrated unless told otherwise."""
    from heliograph.store.chdb_engine import ChdbEngine
    from heliograph.store.schema import apply_migrations

    engine = ChdbEngine(data_dir / STORE_DIR)
    await engine.open()
    try:
        if migrate:
            await apply_migrations(engine)
        yield engine
    finally:
        await engine.close()

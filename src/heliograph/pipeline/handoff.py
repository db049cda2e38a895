"""Log rows handed from gateway workers to the store process (`serve --workers N`).

A gateway worker runs the same log pipeline as the single process, over a spool of its
own, with a sink that does not store: `HandoffSink` moves each sealed batch into the
shared handoff directory (a rename, one system call: both are in the data directory).
The store process takes every file there into its own spool (`LogPipeline.adopt`), whose
writer stores it as it replays a segment, so the rows reach the store, and the listeners
(webhooks, online evaluators), exactly once: a file is in one directory at a time, and a
segment the store process may have half-stored before a crash has its stored rows
skipped by id when it is replayed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path

from heliograph.fileio import write_all
from heliograph.store.log_row import LogRow, RequestKey

HANDOFF_SUFFIX = ".jsonl"
TEMPORARY_PREFIX = "."  # being written: the store process leaves it alone


class HandoffSink:
    """A gateway worker's sink (pipeline/sink.py's LogSink): rows go to the store process."""

    def __init__(self, directory: Path, worker: str) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory = directory
        self._worker = worker
        self._numbers = itertools.count()

    def _name(self) -> str:
        # Unique across workers, their restarts and this process's batches.
        return f"{self._worker}-{os.getpid()}-{time.time_ns()}-{next(self._numbers)}"

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        name = self._name() + HANDOFF_SUFFIX
        if segment is not None:  # the batch's own sealed segment: moved whole
            os.rename(segment, self.directory / name)
            return
        # Rows of a segment an earlier run of this worker left (a replay): written whole
        # under a temporary name first, so the store process never reads part of a file.
        temporary = self.directory / (TEMPORARY_PREFIX + name)
        lines = [row.line for row in rows]
        await asyncio.to_thread(_write_whole, temporary, self.directory / name, lines)

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        """None known here: the store process skips what it already holds when it replays."""
        return set()


def _write_whole(temporary: Path, final: Path, lines: list[bytes]) -> None:
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, lines)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, final)


def handed_off(directory: Path, limit: int) -> list[Path]:
    """Up to `limit` files workers handed off, oldest first."""
    try:
        entries = [
            entry
            for entry in os.scandir(directory)
            if entry.name.endswith(HANDOFF_SUFFIX) and not entry.name.startswith(TEMPORARY_PREFIX)
        ]
    except FileNotFoundError:
        return []
    entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
    return [Path(entry.path) for entry in entries[:limit]]

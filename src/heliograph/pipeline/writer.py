"""The async, batched, durable log pipeline between the request path and the store.

The request path calls `submit`, which appends the row to the spool and keeps it in a
short in-memory batch; nothing on the request path waits for the store. A background
task flushes a batch every `batch_ms` or as soon as `batch_rows` are waiting. When the
store fails, batches stay on disk and are replayed once it answers again, skipping rows
already stored by (organization, request id): two organizations may log the same id. The
same replay runs at start-up for anything a crash left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from heliograph.pipeline.sink import LogSink
from heliograph.pipeline.spool import Spool
from heliograph.store.relogged import RequestKey, row_key

log = logging.getLogger("heliograph.pipeline")

# Awaited with every batch of rows the store has taken, before their spool segment is deleted,
# so what it hands on (e.g. to a durable queue) survives a crash. A replay calls it again with
# rows that were already stored (a crash between the store and the listener), so a listener
# must be idempotent by request id. It must not block the event loop: slow work goes to a
# thread, awaited.
StoredListener = Callable[[Sequence[bytes]], Awaitable[None]]
# Told once a batch period how many rows wait beyond one batch (0 while the store keeps
# up), e.g. to give the store more CPU while that grows. Runs on the event loop: be quick.
BacklogListener = Callable[[int], None]

MAX_MEMORY_ROWS = 20_000
WARN_INTERVAL_S = 60.0


@dataclass
class PipelineStats:
    submitted: int = 0
    stored: int = 0
    replayed: int = 0
    skipped_duplicates: int = 0
    store_failures: int = 0
    rejected: int = 0  # rows the store refused while taking their neighbours: set aside


class LogPipeline:
    def __init__(
        self,
        spool: Spool,
        sink: LogSink,
        *,
        batch_rows: int = 500,
        batch_ms: int = 200,
        fsync_ms: int = 1000,
    ) -> None:
        self._spool = spool
        self._sink = sink
        self._batch_rows = batch_rows
        self._batch_s = batch_ms / 1000
        self._fsync_s = fsync_ms / 1000
        self._pending: list[bytes] = []
        self._segment_rows = 0
        self._segment_in_memory = True
        self._store_ok = True
        self._last_warning = 0.0
        self._wake = asyncio.Event()
        self._closing = False
        self._flush_task: asyncio.Task[None] | None = None
        self._timed_tasks: list[asyncio.Task[None]] = []
        self._listeners: list[StoredListener] = []
        self._backlog_listeners: list[BacklogListener] = []
        # Segments this process sealed whose rows the store has not confirmed, by row count;
        # of those, the ones not one row of which was sent (no need to look their ids up).
        self._sealed_rows: dict[Path, int] = {}
        self._unsent: set[Path] = set()
        self.stats = PipelineStats()

    def add_listener(self, listener: StoredListener) -> None:
        """Tell `listener` about every row once it is stored (see StoredListener)."""
        self._listeners.append(listener)

    def watch_backlog(self, listener: BacklogListener) -> None:
        """Tell `listener` how far behind the store is (see BacklogListener)."""
        self._backlog_listeners.append(listener)

    def submit(self, line: bytes) -> None:
        """Make one JSON row durable and queue it for the store. Never blocks on the store."""
        self._spool.append(line)
        self._segment_rows += 1
        self.stats.submitted += 1
        if self._store_ok and len(self._pending) < MAX_MEMORY_ROWS:
            self._pending.append(line)
            if len(self._pending) >= self._batch_rows:
                self._wake.set()
        else:
            self._segment_in_memory = False

    @property
    def backlog_segments(self) -> int:
        return len(self._spool.sealed_segments())

    @property
    def backlog_rows(self) -> int:
        """Rows submitted by this process and not yet stored."""
        return self._segment_rows + sum(self._sealed_rows.values())

    async def start(self) -> None:
        await self._replay_sealed()
        self._flush_task = asyncio.create_task(self._flush_loop(), name="log-flush")
        self._timed_tasks = [
            asyncio.create_task(self._fsync_loop(), name="spool-fsync"),
            asyncio.create_task(self._backlog_loop(), name="log-backlog"),
        ]

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        for task in self._timed_tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._flush_task is not None:
            # Let a batch in flight finish rather than leave it for the next start's replay.
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task
        await self.flush()
        self._spool.close()

    async def flush(self) -> None:
        """Send what is waiting now; on failure it stays on disk for a later replay."""
        if self._segment_rows == 0:
            return
        lines, in_memory, rows = self._pending, self._segment_in_memory, self._segment_rows
        self._pending, self._segment_rows, self._segment_in_memory = [], 0, True
        sealed = self._spool.seal()
        self._sealed_rows[sealed] = rows
        if not in_memory or not self._store_ok:
            self._unsent.add(sealed)
            return
        try:
            await self._sink.write(lines, sealed)
        except Exception as exc:
            self._store_failed(exc)
            return
        self.stats.stored += len(lines)
        await self._notify(lines)
        self._discard(sealed)

    async def _flush_loop(self) -> None:
        retry_s = 1.0
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._batch_s)
            self._wake.clear()
            await self.flush()
            if self._closing:
                return
            if not self._store_ok or self._spool.sealed_segments():
                if await self._replay_sealed():
                    retry_s = 1.0
                else:
                    await asyncio.sleep(retry_s)
                    retry_s = min(retry_s * 2, 30.0)

    async def _replay_sealed(self) -> bool:
        """Store every sealed segment left on disk, skipping rows already stored."""
        for path in self._spool.sealed_segments():
            try:
                await self._replay_segment(path)
            except Exception as exc:
                self._store_failed(exc)
                return False
        if not self._store_ok:
            log.warning("log store is answering again; spooled rows were replayed")
        self._store_ok = True
        return True

    async def _replay_segment(self, path: Path) -> None:
        lines = Spool.read_segment(path)
        if path in self._unsent:  # written whole by this process, none of it sent
            fresh, segment = lines, path
        else:
            keys = [_row_key(line) for line in lines]
            stored = await self._sink.stored_request_keys([k for k in keys if k is not None])
            fresh = [line for line, key in zip(lines, keys, strict=True) if key not in stored]
            segment = None
        rejected = await self._write_isolating(fresh, segment)
        if rejected:
            self._set_aside(rejected, path)
        self.stats.replayed += len(fresh) - len(rejected)
        self.stats.skipped_duplicates += len(lines) - len(fresh)
        await self._notify([line for line in lines if line not in rejected] if rejected else lines)
        self._discard(path)

    def _discard(self, segment: Path) -> None:
        self._sealed_rows.pop(segment, None)
        self._unsent.discard(segment)
        Spool.discard(segment)

    async def _write_isolating(
        self, lines: Sequence[bytes], segment: Path | None = None
    ) -> set[bytes]:
        """Write `lines`; when the store refuses some, store the rest and return those.

        A row the store can never take (a value out of its column's range, say) must not
        hold every later row back forever. Halving the batch finds such rows in a few
        writes each. If not one row goes in, the store itself is failing: raise, keep all.
        (Replays get here only after the store answered a read, so an unreachable store
        costs one write, not a halving.)
        """
        refused: set[bytes] = set()
        taken = 0

        async def write(part: Sequence[bytes]) -> None:
            nonlocal taken
            try:
                await self._sink.write(part)
                taken += len(part)
            except Exception:
                if len(part) == 1:
                    refused.add(part[0])
                    return
                middle = len(part) // 2
                await write(part[:middle])
                await write(part[middle:])

        try:
            await self._sink.write(lines, segment)
            return set()
        except Exception:
            if len(lines) <= 1:
                raise
        middle = len(lines) // 2
        await write(lines[:middle])
        await write(lines[middle:])
        if taken == 0:
            raise StoreRefusedAll(len(lines))
        return refused

    def _set_aside(self, rejected: set[bytes], segment: Path) -> None:
        directory = self._spool.directory / "rejected"
        directory.mkdir(exist_ok=True)
        target = directory / f"{segment.stem}-{int(time.time())}.jsonl"
        with open(target, "ab") as out:
            out.writelines(sorted(rejected))
            out.flush()
            os.fsync(out.fileno())
        self.stats.rejected += len(rejected)
        log.warning(
            "log store refused %d row(s) it will never take; they are kept in %s",
            len(rejected),
            target,
        )

    async def _notify(self, lines: Sequence[bytes]) -> None:
        for listener in self._listeners:
            try:
                await listener(lines)
            except Exception:  # one listener's bug must not stop the log pipeline
                log.exception("stored-rows listener %r failed", listener)

    def _store_failed(self, exc: Exception) -> None:
        self._store_ok = False
        self.stats.store_failures += 1
        now = time.monotonic()
        if now - self._last_warning >= WARN_INTERVAL_S:
            self._last_warning = now
            log.warning(
                "log store unavailable (%s); rows are kept in the spool at %s "
                "and replayed when it answers",
                str(exc).splitlines()[0][:200],
                self._spool.directory,
            )

    async def _backlog_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._batch_s)
            rows_behind = max(0, self.backlog_rows - self._batch_rows)
            for listener in self._backlog_listeners:
                listener(rows_behind)

    async def _fsync_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._fsync_s)
            fd = self._spool.sync_handle()
            if fd is not None:
                await asyncio.to_thread(_fsync_and_close, fd)


class StoreRefusedAll(Exception):
    def __init__(self, rows: int) -> None:
        super().__init__(f"the log store refused all {rows} rows one by one")


def _row_key(line: bytes) -> RequestKey | None:
    found = row_key(line)
    return found[0] if found is not None else None


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

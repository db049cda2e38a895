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

from heliograph.pipeline.isolate import set_aside, write_isolating
from heliograph.pipeline.sink import LogSink
from heliograph.pipeline.spool import Spool
from heliograph.store.log_row import LogRow
from heliograph.throttled_log import ThrottledLog, describe

log = logging.getLogger("heliograph.pipeline")

# Awaited with every batch of rows the store has taken, before their spool segment is deleted,
# so what it hands on (e.g. to a durable queue) survives a crash. A replay calls it again with
# rows that were already stored (a crash between the store and the listener), so a listener
# must be idempotent by request id. It must not block the event loop: slow work goes to a
# thread, awaited.
StoredListener = Callable[[Sequence[LogRow]], Awaitable[None]]
# Told once a batch period how many rows wait beyond one batch (0 while the store keeps
# up), e.g. to give the store more CPU while that grows. Runs on the event loop: be quick.
BacklogListener = Callable[[int], None]

MAX_MEMORY_ROWS = 20_000
REPORT_INTERVAL_S = 60.0
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
# When rows held in memory (the spool cannot be written) reach the buffer's size:
# "refuse" refuses new calls until logging works (the rows of calls already admitted are
# still taken, so nothing served is lost); "drop" keeps serving and counts the rows lost.
LOSS_POLICIES = ("refuse", "drop")


@dataclass
class PipelineStats:
    submitted: int = 0
    stored: int = 0
    replayed: int = 0
    skipped_duplicates: int = 0
    store_failures: int = 0
    rejected: int = 0  # rows the store refused while taking their neighbours: set aside
    lost: int = 0  # rows never stored: the memory buffer was full ("drop"), or at shutdown
    refused_calls: int = 0  # calls answered 503 because logging was unavailable ("refuse")
    writer_failures: int = 0  # unexpected errors in the writer's background loops
    fsync_failures: int = 0
    adopted_segments: int = 0  # batches taken from gateway workers (serve --workers N)


class LogPipeline:
    def __init__(
        self,
        spool: Spool,
        sink: LogSink,
        *,
        batch_rows: int = 500,
        batch_ms: int = 200,
        fsync_ms: int = 1000,
        memory_buffer_bytes: int = 64 << 20,
        loss_policy: str = "refuse",
    ) -> None:
        if loss_policy not in LOSS_POLICIES:
            raise ValueError(f"loss policy must be one of {LOSS_POLICIES}, not {loss_policy!r}")
        self._spool = spool
        self._sink = sink
        self._batch_rows = batch_rows
        self._batch_s = batch_ms / 1000
        self._fsync_s = fsync_ms / 1000
        self._memory_buffer_bytes = memory_buffer_bytes
        self._drop_when_full = loss_policy == "drop"
        # Read on the hot path before each call (app.py): True while new calls are refused.
        self.refusing = False
        self._pending: list[LogRow] = []
        self._segment_rows = 0  # rows submitted and not yet sealed (in memory or on disk)
        self._segment_in_memory = True
        self._store_ok = True
        self._fsync_error: str | None = None
        self._store_error = ""
        self._writer_error: str | None = None
        self._reported_lost = 0
        self._last_report = time.monotonic()
        self._warnings = ThrottledLog(log)
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
        self._on_stored: dict[Path, Callable[[], None]] = {}  # adopted segments' callbacks
        self.stats = PipelineStats()

    def add_listener(self, listener: StoredListener) -> None:
        """Tell `listener` about every row once it is stored (see StoredListener)."""
        self._listeners.append(listener)

    def watch_backlog(self, listener: BacklogListener) -> None:
        """Tell `listener` how far behind the store is (see BacklogListener)."""
        self._backlog_listeners.append(listener)

    def adopt(
        self, path: Path, *, sent_before: bool = False, on_stored: Callable[[], None] | None = None
    ) -> None:
        """Take a segment of rows another process wrote and handed over whole (a gateway
        worker's batch, pipeline/handoff.py; a batch from the log stream, stream_ingest.py)
        into this spool, to be stored as a replay is. Unless `sent_before` (some of its rows
        may be stored already), not one of its rows was sent: stored without looking them
        up first, unless this process restarts before that (then the replay at start-up
        looks them up). `on_stored` is called once its rows are stored (on the event loop:
        be quick); not if this process stops first."""
        segment = self._spool.adopt(path)
        if not sent_before:
            self._unsent.add(segment)
        if on_stored is not None:
            self._on_stored[segment] = on_stored
        self.stats.adopted_segments += 1
        self._wake.set()

    def submit(self, row: LogRow) -> None:
        """Make one row durable (its line goes to the spool) and queue it for the store.
        Never blocks or raises.

        While the spool cannot be written the row is held in memory; once the memory
        buffer is full, the "drop" policy loses it (counted), "refuse" still takes it.
        """
        if self._drop_when_full and self._buffer_full():
            self.stats.lost += 1
            return
        self._spool.append(row.line)
        self._segment_rows += 1
        self.stats.submitted += 1
        if self._store_ok and len(self._pending) < MAX_MEMORY_ROWS:
            self._pending.append(row)
            if len(self._pending) >= self._batch_rows:
                self._wake.set()
        else:
            self._segment_in_memory = False
        if self._spool.last_error is not None:
            self._check_admission()

    def _buffer_full(self) -> bool:
        """Whether the rows held in memory, the spool failing, fill the memory buffer."""
        spool = self._spool
        return spool.last_error is not None and spool.waiting_bytes >= self._memory_buffer_bytes

    def _check_admission(self) -> None:
        """Refuse new calls while the memory buffer is full ("refuse")."""
        self.refusing = not self._drop_when_full and self._buffer_full()

    def count_refused(self) -> None:
        self.stats.refused_calls += 1

    @property
    def backlog_segments(self) -> int:
        try:
            return len(self._spool.sealed_segments())
        except OSError:  # no descriptor to list the spool with: those this process sealed
            return len(self._sealed_rows)

    @property
    def backlog_rows(self) -> int:
        """Rows submitted by this process and not yet stored."""
        return self._segment_rows + sum(self._sealed_rows.values())

    @property
    def held_rows(self) -> int:
        """Rows held in memory because the spool could not be written."""
        return self._spool.waiting_rows if self._spool.last_error is not None else 0

    @property
    def spool_write_failures(self) -> int:
        return self._spool.write_failures

    def problem(self) -> str | None:
        """Why rows are not being stored right now, or None while they are."""
        spool_error = self._spool.last_error
        if spool_error is not None:
            return (
                f"the log spool cannot be written ({describe(spool_error)}); "
                f"{self._spool.waiting_rows} row(s) are held in memory"
            )
        if self._fsync_error is not None:
            return f"the log spool cannot be synced to disk ({self._fsync_error})"
        if not self._store_ok:
            return (
                f"the log store is failing ({self._store_error}); "
                f"{self.backlog_rows} row(s) wait in the spool"
            )
        if self._writer_error is not None:
            return f"the log writer is failing ({self._writer_error})"
        return None

    async def start(self) -> None:
        await self._replay_sealed()
        self._flush_task = asyncio.create_task(self._flush_loop(), name="log-flush")
        self._timed_tasks = [
            asyncio.create_task(self._fsync_loop(), name="spool-fsync"),
            asyncio.create_task(self._backlog_loop(), name="log-backlog"),
        ]

    async def close(self) -> None:
        """Store what can be stored; rows that cannot even be written are counted as lost."""
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
        try:
            await self.flush()
            if self._unsent and self._store_ok:  # batches adopted from gateway workers
                await self._replay_sealed()
        except Exception as exc:  # what stays on disk is replayed at the next start
            log.warning("log rows left in the spool at shutdown: %s", describe(exc))
        lost = self._spool.close()
        if lost:
            self.stats.lost += lost
            log.error(
                "%d log row(s) could not be written to the spool before shutdown and are lost (%s)",
                lost,
                describe(self._spool.last_error) if self._spool.last_error else "unknown",
            )

    async def flush(self) -> None:
        """Send what is on disk now; on failure it stays there for a later replay."""
        if self._segment_rows == 0:
            return
        sealed = self._spool.seal()
        if sealed is None:  # nothing on disk yet: rows are held until the spool works
            return
        segment, rows = sealed
        in_memory = self._segment_in_memory
        batch = self._pending[:rows]
        del self._pending[:rows]
        self._segment_rows -= rows
        if not in_memory:
            self._pending.clear()
        # Rows held back from this segment go into the next one; it is in memory only if
        # they are (there are none, or this segment was).
        self._segment_in_memory = in_memory or self._segment_rows == 0
        self._sealed_rows[segment] = rows
        if not in_memory or not self._store_ok:
            self._unsent.add(segment)
            return
        try:
            await self._sink.write(batch, segment)
        except Exception as exc:
            self._store_failed(exc)
            return
        self.stats.stored += len(batch)
        await self._notify(batch)
        self._discard(segment)

    async def _flush_loop(self) -> None:
        """Flush every batch period; survives any error, backing off while they last."""
        retry_s = RETRY_FIRST_S
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._batch_s)
            self._wake.clear()
            try:
                stored_all = await self._flush_and_replay()
                self._writer_error = None
            except Exception as exc:
                self._writer_failed("flush", exc)
                stored_all = False
            if self._closing:
                return
            if stored_all:
                retry_s = RETRY_FIRST_S
            else:
                await asyncio.sleep(retry_s)
                retry_s = min(retry_s * 2, RETRY_MAX_S)

    async def _flush_and_replay(self) -> bool:
        """One round of the writer; False when something still fails (the caller backs off)."""
        spool_ok = self._spool.write_waiting()  # the retry of rows held in memory
        self._check_admission()
        if not spool_ok:
            self._warnings.warning(
                "spool",
                "log spool cannot be written (%s); %d row(s) are held in memory",
                describe(self._spool.last_error or OSError()),
                self._spool.waiting_rows,
            )
        await self.flush()
        if self._closing:
            return True
        if not self._store_ok or self._spool.sealed_segments():
            return await self._replay_sealed() and spool_ok
        return spool_ok

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
        # Read and parsed off the event loop: a segment may hold thousands of large rows.
        rows = await asyncio.to_thread(_read_rows, path)
        if path in self._unsent:  # written whole by this process, none of it sent
            fresh, segment = rows, path
        else:
            keys = [row.key for row in rows]
            stored = await self._sink.stored_request_keys([k for k in keys if k is not None])
            fresh = [row for row, key in zip(rows, keys, strict=True) if key not in stored]
            segment = None
        try:
            rejected = await write_isolating(self._sink, fresh, segment)
        except Exception:
            # Part of the segment may be stored now: the next try skips what is.
            self._unsent.discard(path)
            raise
        if rejected:
            self.stats.rejected += len(rejected)
            set_aside(rejected, self._spool.directory / "rejected", path)
        self.stats.replayed += len(fresh) - len(rejected)
        self.stats.skipped_duplicates += len(rows) - len(fresh)
        await self._notify([row for row in rows if row not in rejected] if rejected else rows)
        self._discard(path)
        on_stored = self._on_stored.pop(path, None)
        if on_stored is not None:
            try:
                on_stored()
            except Exception:  # the caller's bug must not stop the log pipeline
                log.exception("stored-segment callback %r failed", on_stored)

    def _discard(self, segment: Path) -> None:
        self._sealed_rows.pop(segment, None)
        self._unsent.discard(segment)
        Spool.discard(segment)

    async def _notify(self, rows: Sequence[LogRow]) -> None:
        for listener in self._listeners:
            try:
                await listener(rows)
            except Exception:  # one listener's bug must not stop the log pipeline
                log.exception("stored-rows listener %r failed", listener)

    def _store_failed(self, exc: Exception) -> None:
        self._store_ok = False
        self._store_error = describe(exc)
        self.stats.store_failures += 1
        self._warnings.warning(
            "store",
            "log store unavailable (%s); rows are kept in the spool at %s "
            "and replayed when it answers",
            describe(exc),
            self._spool.directory,
        )

    def _writer_failed(self, kind: str, exc: Exception) -> None:
        """An unexpected error in a background loop: counted, logged, and the loop goes on."""
        self.stats.writer_failures += 1
        self._writer_error = describe(exc)
        self._warnings.warning(kind, "log writer: %s failed (%s); retrying", kind, describe(exc))

    async def _backlog_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._batch_s)
            rows_behind = max(0, self.backlog_rows - self._batch_rows)
            for listener in self._backlog_listeners:
                try:
                    listener(rows_behind)
                except Exception as exc:
                    self._writer_failed("backlog listener", exc)
            if time.monotonic() - self._last_report >= REPORT_INTERVAL_S:
                self._report(rows_behind)

    def _report(self, rows_behind: int) -> None:
        """Once a minute, while rows wait beyond a batch or were lost: how many."""
        self._last_report = time.monotonic()
        lost = self.stats.lost - self._reported_lost
        self._reported_lost = self.stats.lost
        if self.held_rows or rows_behind or lost:
            log.warning(
                "log rows not stored yet: %d held in memory, %d in the spool; "
                "%d lost in the last minute",
                self.held_rows,
                self.backlog_rows - self.held_rows,
                lost,
            )

    async def _fsync_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._fsync_s)
            try:
                fd = self._spool.sync_handle()
                if fd is not None:
                    await asyncio.to_thread(_fsync_and_close, fd)
                self._fsync_error = None
            except Exception as exc:  # an I/O error, no descriptor for the dup: next round
                self.stats.fsync_failures += 1
                self._spool.sync_failed()
                self._fsync_error = describe(exc)
                self._warnings.warning("fsync", "log spool fsync failed (%s)", describe(exc))


def _read_rows(segment: Path) -> list[LogRow]:
    return [LogRow.from_line(line) for line in Spool.read_segment(segment)]


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

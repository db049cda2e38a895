"""Records written to the metadata database off the request path: a writer thread of its own
takes what calls queued every FLUSH_S and hands it to `write` a batch at a time.

A call waits for nothing here and costs a deque append. Not asyncio.to_thread: measured, a
hop to the default executor several times a second made every gateway call slower (its
threads are shared with the log spool and key lookups). When the writer falls behind by
`max_pending` records (or `max_pending_bytes` of what the records hold), new ones are dropped
and counted (a warning a minute): the call itself is logged either way.

The legacy prompts of calls carrying `Helicone-Prompt-Id` (legacy/service.py) are written by
one of these.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from heliograph.throttled_log import ThrottledLog

MAX_PENDING = 10_000
MAX_PENDING_BYTES = 64 * 1024 * 1024
BATCH = 1000
FLUSH_S = 0.2
log = logging.getLogger("heliograph.prompts")
R = TypeVar("R")


class RecordLog(Generic[R]):
    """A bounded queue of records and the thread that writes them (`write(batch)`)."""

    def __init__(
        self,
        write: Callable[[list[R]], None],
        name: str,
        max_pending: int = MAX_PENDING,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        flush_s: float = FLUSH_S,
    ) -> None:
        self._write = write
        self.name = name  # the thread's, and what the log lines call the records
        self._max_pending = max_pending
        self._max_pending_bytes = max_pending_bytes
        self._flush_s = flush_s
        # Appended here, taken by the writer, with the bytes each one holds.
        self._pending: deque[tuple[R, int]] = deque()
        self._pending_bytes = 0  # an estimate: updated without a lock from both sides
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._warnings = ThrottledLog(log)
        self.dropped = 0  # refused: the queue was full
        self.lost = 0  # taken, then not written: the database refused the batch

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, record: R, size: int = 0) -> bool:
        """Queue `record` (holding about `size` bytes); False when it was dropped."""
        full = len(self._pending) >= self._max_pending
        if full or self._pending_bytes + size > self._max_pending_bytes:
            self.dropped += 1
            self._warnings.warning("full", "%s not recorded: the writer falls behind", self.name)
            return False
        self._pending_bytes += size
        self._pending.append((record, size))
        return True

    async def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    async def close(self) -> None:
        """Record what is queued, then stop (joined on a worker thread: it may be writing)."""
        if self._thread is None:
            return
        self._stopping.set()
        thread, self._thread = self._thread, None
        await asyncio.to_thread(thread.join)

    def _run(self) -> None:
        while not self._stopping.wait(self._flush_s):
            self._write_pending()
        self._write_pending()

    def _write_pending(self) -> None:
        while self._pending:
            batch: list[R] = []
            while self._pending and len(batch) < BATCH:
                record, size = self._pending.popleft()
                self._pending_bytes -= size
                batch.append(record)
            try:
                self._write(batch)
            except Exception:  # the metadata database is down: these records are lost
                self.lost += len(batch)
                log.exception("could not record %d of %s", len(batch), self.name)

"""The inputs of assembled calls, recorded off the request path: a writer thread of its own
takes what calls queued every FLUSH_S and writes it in one transaction a batch.

A call waits for nothing here and costs a deque append. Not asyncio.to_thread: measured, a
hop to the default executor several times a second made every gateway call slower (its
threads are shared with the log spool and key lookups). When the writer falls behind by
MAX_PENDING records, new ones are dropped and counted (a warning a minute): the call itself
is logged either way.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any

from heliograph.prompts.inputs import InputRecord, InputStore
from heliograph.throttled_log import ThrottledLog

MAX_PENDING = 10_000
BATCH = 1000
FLUSH_S = 0.2
log = logging.getLogger("heliograph.prompts")


class InputLog:
    def __init__(
        self, store: InputStore, max_pending: int = MAX_PENDING, flush_s: float = FLUSH_S
    ) -> None:
        self._store = store
        self._max_pending = max_pending
        self._flush_s = flush_s
        self._pending: deque[InputRecord] = deque()  # appended here, taken by the writer
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._warnings = ThrottledLog(log)
        self.dropped = 0

    def submit(
        self,
        organization_id: str,
        request_id: str,
        version_id: str,
        inputs: dict[str, Any],
        environment: str | None,
    ) -> None:
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            self._warnings.warning("full", "prompt inputs not recorded: the writer falls behind")
            return
        record = InputRecord(organization_id, request_id, version_id, inputs, environment)
        self._pending.append(record)

    async def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="prompt-inputs", daemon=True)
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
            batch: list[InputRecord] = []
            while self._pending and len(batch) < BATCH:
                batch.append(self._pending.popleft())
            try:
                self._store.record_many(batch)
            except Exception:  # the metadata database is down: these inputs are lost
                log.exception("could not record the inputs of %d prompt calls", len(batch))

"""The inputs of assembled calls, recorded off the request path: a bounded queue that one
task drains in batches into the InputStore (on a worker thread).

A call waits for nothing here. When the store falls behind by MAX_PENDING records, new ones
are dropped and counted (a warning a minute): the call itself is logged either way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from heliograph.prompts.inputs import InputRecord, InputStore
from heliograph.throttled_log import ThrottledLog

MAX_PENDING = 10_000
BATCH = 500
log = logging.getLogger("heliograph.prompts")


class InputLog:
    def __init__(self, store: InputStore, max_pending: int = MAX_PENDING) -> None:
        self._store = store
        self._queue: asyncio.Queue[InputRecord | None] = asyncio.Queue(max_pending)
        self._task: asyncio.Task[None] | None = None
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
        record = InputRecord(organization_id, request_id, version_id, inputs, environment)
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1
            self._warnings.warning("full", "prompt inputs not recorded: the store falls behind")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="prompt-inputs")

    async def close(self) -> None:
        """Record what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[InputRecord] = []
            record = await self._queue.get()
            while record is not None:
                batch.append(record)
                if len(batch) >= BATCH or self._queue.empty():
                    break
                record = self._queue.get_nowait()
            stopping = record is None
            if batch:
                await asyncio.to_thread(self._write, batch)

    def _write(self, batch: list[InputRecord]) -> None:
        try:
            self._store.record_many(batch)
        except Exception:  # the metadata database is down: these inputs are lost, not the calls
            log.exception("could not record the inputs of %d prompt calls", len(batch))

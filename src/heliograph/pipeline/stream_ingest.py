"""Ingest from the log stream (`log_stream`): how a `serve` process stores the batches the
gateway role (`heliograph gateway`) appended to a Redis stream.

Entries are read in a consumer group (`heliograph-ingest`: every `serve` process reading
the stream shares the work); each becomes a file adopted by the log pipeline
(LogPipeline.adopt), which stores it as it stores a replayed segment, looking its rows up
first (an entry a gateway sent twice, its first answer lost, is stored once). An entry is
acknowledged (XACK) and deleted only once its rows are stored; one a consumer took and
never acknowledged (it was killed) is claimed by another after RECLAIM_IDLE_MS (XAUTOCLAIM).
While the store falls behind (more than MAX_WAITING_SEGMENTS adopted and not stored) no
more entries are read: they wait in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from heliograph.fileio import write_all
from heliograph.pipeline.stream_sink import LINES_FIELD, STREAM_TIMEOUT_S
from heliograph.pipeline.writer import LogPipeline
from heliograph.throttled_log import ThrottledLog, describe

log = logging.getLogger("heliograph.pipeline")
GROUP = "heliograph-ingest"
READ_COUNT = 64  # entries (batches) a read
READ_BLOCK_MS = 1000
RECLAIM_IDLE_MS = 30_000
RECLAIM_EVERY_S = 5.0
MAX_WAITING_SEGMENTS = 64
RETRY_S = 1.0


class StreamIngest:
    def __init__(self, url: str, stream: str, pipeline: LogPipeline, staging: Path) -> None:
        from redis.asyncio import Redis

        # Blocking reads wait READ_BLOCK_MS: the socket must wait longer.
        timeout = STREAM_TIMEOUT_S + READ_BLOCK_MS / 1000
        self._redis: Any = Redis.from_url(url, socket_timeout=timeout)
        self._stream = stream
        self._pipeline = pipeline
        self._staging = staging
        staging.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._waiting = 0  # adopted, not yet stored
        self._task: asyncio.Task[None] | None = None
        self._acks: set[asyncio.Task[None]] = set()
        self._warnings = ThrottledLog(log)
        self.taken = 0  # entries taken by this process
        self.in_stream = 0  # entries in the stream, not yet stored, when last read
        self.problem: str | None = None  # why the stream cannot be read, while it cannot

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stream-ingest")

    async def stop(self) -> None:
        """Stop reading; entries taken and not stored stay pending, claimed later."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._acks:
            await asyncio.wait(self._acks, timeout=STREAM_TIMEOUT_S)
        await self._redis.aclose()

    async def _run(self) -> None:
        group_ready = False
        next_reclaim = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if not group_ready:
                    await self._create_group()
                    group_ready = True
                if self._waiting >= MAX_WAITING_SEGMENTS:  # the store is behind: wait
                    await asyncio.sleep(0.1)
                    continue
                if loop.time() >= next_reclaim:
                    next_reclaim = loop.time() + RECLAIM_EVERY_S
                    await self._reclaim()
                await self._read()
                # Entries are deleted once stored: what is left waits (or is being stored).
                self.in_stream = int(await self._redis.xlen(self._stream))
                self.problem = None
            except Exception as exc:  # Redis down: the gateways' spools hold the rows
                self.problem = f"the log stream cannot be read ({describe(exc)})"
                self._warnings.warning("stream", "log stream %s: %s", self._stream, describe(exc))
                await asyncio.sleep(RETRY_S)

    async def _create_group(self) -> None:
        from redis.exceptions import ResponseError

        try:  # from the stream's start: entries appended before the first ingest count
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _read(self) -> None:
        answer = await self._redis.xreadgroup(
            GROUP, self._consumer, {self._stream: ">"}, count=READ_COUNT, block=READ_BLOCK_MS
        )
        for _, entries in answer or []:
            await self._take(entries)

    async def _reclaim(self) -> None:
        """Entries another consumer (a killed process) took and never acknowledged."""
        answer = await self._redis.xautoclaim(
            self._stream, GROUP, self._consumer, RECLAIM_IDLE_MS, "0-0", count=READ_COUNT
        )
        await self._take(answer[1])

    async def _take(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        for entry_id, fields in entries:
            lines = fields.get(LINES_FIELD) if fields else None
            if not lines:  # deleted meanwhile, or not ours: nothing to store
                await self._ack(entry_id)
                continue
            name = entry_id.decode().replace("-", "_")
            path = await asyncio.to_thread(_write_whole, self._staging, name, lines)
            self._waiting += 1
            self.taken += 1
            # Looked up before it is stored: a gateway may have sent it twice (its first
            # answer lost), and a reclaimed one may be stored by the one that took it first.
            self._pipeline.adopt(path, sent_before=True, on_stored=self._stored_callback(entry_id))

    def _stored_callback(self, entry_id: bytes) -> Any:
        def stored() -> None:
            self._waiting -= 1
            task = asyncio.create_task(self._ack(entry_id))
            self._acks.add(task)
            task.add_done_callback(self._acks.discard)

        return stored

    async def _ack(self, entry_id: bytes) -> None:
        try:
            await self._redis.xack(self._stream, GROUP, entry_id)
            await self._redis.xdel(self._stream, entry_id)
        except Exception as exc:  # left pending: claimed again later, and skipped as stored
            self._warnings.warning("ack", "cannot acknowledge %s: %s", entry_id, describe(exc))


def _write_whole(directory: Path, name: str, lines: bytes) -> Path:
    """The entry's lines as a file, written under a temporary name first."""
    temporary, final = directory / f".{name}.jsonl", directory / f"{name}.jsonl"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, [lines])
    finally:
        os.close(fd)
    os.rename(temporary, final)
    return final

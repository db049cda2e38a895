"""Streaming a query result as CSV without holding it in memory.

The engine hands CSV chunks over on its own thread as fast as ClickHouse makes them; they
are parked in an anonymous temporary file, and the HTTP response reads them back at the
client's pace. So a slow client never holds the engine (which runs nothing else while a
streaming query is open), and memory holds one chunk at a time, never the result.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable

from heliograph.errors import ClientClosed

READ_SIZE = 256 * 1024


class DownloadCancelled(ClientClosed):
    """The client went away: the engine stops the query."""


class ChunkSpool:
    """One writer (the engine thread) appends; one reader (the response) follows behind."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._file = tempfile.TemporaryFile()  # closed by close()
        self._fd = self._file.fileno()
        self._written = 0
        self._finished = False
        self._cancelled = False
        self._changed = asyncio.Event()

    def write(self, chunk: bytes) -> None:
        """Called on the engine's thread for every chunk."""
        if self._cancelled:
            raise DownloadCancelled
        offset = self._written
        view = memoryview(chunk)
        while view:
            done = os.pwrite(self._fd, view, offset)
            offset += done
            view = view[done:]
        self._written = offset
        self._loop.call_soon_threadsafe(self._changed.set)

    def finish(self) -> None:
        self._finished = True
        self._changed.set()

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def written(self) -> int:
        return self._written

    async def wait_for_data(self) -> None:
        """Until the first bytes are parked or the writer has finished."""
        while not self._written and not self._finished:
            self._changed.clear()
            if self._written or self._finished:
                break
            await self._changed.wait()

    async def chunks(self) -> AsyncIterator[bytes]:
        """Everything written, in order, until the writer finishes."""
        offset = 0
        while True:
            self._changed.clear()
            available = self._written
            if offset < available:
                data = os.pread(self._fd, min(READ_SIZE, available - offset), offset)
                offset += len(data)
                yield data
                # Let the loop run before the next read: the server's transport writes
                # what it was given at the end of a loop step (gateway/http_protocol.py),
                # and only then can a slow reader's full socket push back. Without this,
                # a whole parked answer went into the transport's buffer.
                await asyncio.sleep(0)
                continue
            if self._finished:
                return
            await self._changed.wait()

    def close(self) -> None:
        self._file.close()


async def stream_to_spool(
    spool: ChunkSpool, run: Callable[[Callable[[bytes], None]], Awaitable[None]]
) -> None:
    """Run the engine side, `run(on_chunk)`, and mark the spool finished however it ends."""
    try:
        await run(spool.write)
    finally:
        spool.finish()

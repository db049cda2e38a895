"""An upstream answer as it arrives: status, headers, and the body (decompressed)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from heliograph.errors import UpstreamError

if TYPE_CHECKING:
    from heliograph.httpclient.pool import UpstreamConnection

# Past this many bytes received and not yet taken, reading pauses until they are taken.
BUFFER_HIGH_WATER = 1 << 20


class UpstreamConnectionError(UpstreamError):
    """The upstream could not be reached, or the connection broke off mid-answer."""


class UpstreamUnreachable(UpstreamConnectionError):
    pass


class UpstreamDisconnected(UpstreamConnectionError):
    pass


class InvalidUpstreamResponse(UpstreamConnectionError):
    pass


class UpstreamResponse:
    """One answer: its status and headers once they are in, its body as it arrives."""

    def __init__(self, connection: UpstreamConnection, url: str, head_only: bool) -> None:
        self.url = url
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self._connection = connection
        self.head_only = head_only
        loop = connection.loop
        self.head_received: asyncio.Future[None] = loop.create_future()
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._complete = False
        self._error: BaseException | None = None
        self._decoder: zlib._Decompress | None = None
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Header values by lower-case name (repeated headers joined with ", ")."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for raw_name, raw_value in self.raw_headers:
                name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self._headers = headers
        return self._headers

    @property
    def content_type(self) -> str:
        """The media type, lower-case and without parameters (aiohttp's default if none)."""
        value = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower() or "application/octet-stream"

    async def read(self) -> bytes:
        """The whole body."""
        while not self._complete:
            await self._wait()
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything received since the last chunk, joined."""
        while True:
            if self._chunks:
                chunks, self._chunks = self._chunks, []
                self._taken()
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif self._complete:
                return
            else:
                await self._wait()

    async def skip_body(self, limit: int) -> None:
        """Read and drop the body; past `limit` bytes, stop and close the connection."""
        taken = 0
        try:
            async for chunk in self.iter_chunks():
                taken += len(chunk)
                if taken > limit:
                    break
        finally:
            self.release()

    def release(self) -> None:
        """Done with this answer: an unfinished one closes its connection."""
        if not self._complete:
            self._complete = True
            self._connection.discard()

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        self._taken()
        self._waiter = self._connection.loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
        if self._error is not None and not self._chunks:
            raise self._error

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _taken(self) -> None:
        if self._buffered > BUFFER_HIGH_WATER:
            self._connection.resume_reading()
        self._buffered = 0

    # Called by the connection as the answer arrives.
    def headers_received(self, status: int) -> None:
        self.status = status
        encoding = self.headers.get("content-encoding", "").strip().lower()
        if encoding == "gzip":
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()
        if not self.head_received.done():
            self.head_received.set_result(None)

    def feed(self, data: bytes) -> None:
        if self._decoder is not None:
            try:
                data = self._decoder.decompress(data)
            except zlib.error:
                self.fail(InvalidUpstreamResponse("the body does not decompress"))
                self._connection.discard()
                return
        if data:
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered > BUFFER_HIGH_WATER:
                self._connection.pause_reading()
        self._wake()

    def finish(self) -> None:
        if self._decoder is not None:
            tail = self._decoder.flush()
            if tail:
                self._chunks.append(tail)
        self._complete = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        if self._complete:
            return
        self._error = error
        if not self.head_received.done():
            self.head_received.set_exception(error)
            self.head_received.exception()  # retrieved: nobody may be waiting for it any more
        self._wake()

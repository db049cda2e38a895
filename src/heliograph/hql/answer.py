"""The execute answer, Helicone's ExecuteSqlResponse, built on disk instead of in memory.

The engine streams the rows as JSONEachRow; they are re-encoded as one JSON array (the
same bytes orjson gives for the whole list, as before) into a ChunkSpool, a temporary
file, while the query runs. The answer is sent from that file at the client's pace once
the query has ended, so it still starts with its status and its size, and a slow reader
holds a file, not the rows, and not the engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from heliograph.hql import errors
from heliograph.hql.csv_stream import ChunkSpool
from heliograph.hql.errors import HqlError

_HEAD = b'{"data":{"rows":['


class JsonRows:
    """Receives the engine's JSONEachRow chunks (on its thread) into the spool."""

    def __init__(self, spool: ChunkSpool, max_bytes: int) -> None:
        self._spool = spool
        self._max_bytes = max_bytes
        self._partial = b""
        self.rows = 0
        self.size = 0  # of the rows' JSON array without its brackets

    def write(self, chunk: bytes) -> None:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # a row cut between two chunks waits for its end
        # A cut multi-byte character (substring() of a Japanese body) is not UTF-8:
        # answered as U+FFFD, as a read of the REST API does.
        rows = [orjson.loads(line.decode("utf-8", "replace")) for line in lines if line]
        if not rows:
            return
        piece = orjson.dumps(rows)[1:-1]
        if self.rows:
            piece = b"," + piece
        self.size += len(piece)
        if self.size > self._max_bytes:
            raise HqlError(
                errors.RESULT_LIMIT_EXCEEDED,
                "Query result is too large. Please select fewer columns or rows: "
                f"more than {self._max_bytes} bytes",
            )
        self.rows += len(rows)
        self._spool.write(piece)

    def finish(self) -> None:
        """Take in a last row that came without its newline."""
        if self._partial:
            self.write(b"\n")


class ExecuteAnswer:
    """A finished query's answer: its length, then its bytes read back from the spool."""

    def __init__(self, spool: ChunkSpool, rows: JsonRows, elapsed_ms: int) -> None:
        self._spool = spool
        meta = {"elapsedMilliseconds": elapsed_ms, "size": rows.size + 2, "rowCount": rows.rows}
        self._tail = b"]," + orjson.dumps(meta)[1:] + b',"error":null}'
        self.length = len(_HEAD) + rows.size + len(self._tail)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The answer piece by piece; the spool is closed at the end, or when the
        reader stops early."""
        try:
            yield _HEAD
            async for chunk in self._spool.chunks():
                yield chunk
            yield self._tail
        finally:
            self._spool.close()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

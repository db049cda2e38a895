"""The gateway role's sink (`heliograph gateway`, with `log_stream` set): each batch of log
rows becomes one entry of a Redis stream, for the `serve` processes that ingest it
(stream_ingest.py). The gateway's own spool stays in front of it: while Redis is down the
batches wait there and go once it answers, as rows wait for a failing store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heliograph.store.log_row import LogRow, RequestKey

STREAM_TIMEOUT_S = 5.0  # an XADD of a batch (up to a few MB)
LINES_FIELD = b"lines"


class RedisStreamSink:
    """pipeline/sink.py's LogSink over a Redis stream."""

    def __init__(self, url: str, stream: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(
            url, socket_timeout=STREAM_TIMEOUT_S, socket_connect_timeout=STREAM_TIMEOUT_S
        )
        self.stream = stream

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        """One entry: the rows' lines as the spool holds them. Raises while Redis is down."""
        if rows:
            await self._redis.xadd(self.stream, {LINES_FIELD: b"".join(r.line for r in rows)})

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        """None known here: ingest looks every batch up before it stores it (an entry the
        gateway sent again, its first answer lost, is skipped there)."""
        return set()

    async def close(self) -> None:
        await self._redis.aclose()

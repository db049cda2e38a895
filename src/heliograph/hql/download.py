"""`POST /v1/helicone-sql/download`: the whole result of an HQL query as a streamed CSV."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from heliograph.hql import errors
from heliograph.hql.csv_stream import ChunkSpool, stream_to_spool
from heliograph.hql.errors import HqlError
from heliograph.hql.execute import HqlLimits, engine_error
from heliograph.store.engine import ClickHouseEngine, QueryParams, StoreError

log = logging.getLogger("heliograph.hql")
CSV_FORMAT = "CSV"


async def open_csv(
    engine: ClickHouseEngine,
    confined: str,
    params: QueryParams,
    limits: HqlLimits,
) -> AsyncIterator[bytes]:
    """Start the query and wait for its first bytes, so that a refused or failing query is
    still answered with an HQL error; then the CSV follows as an async iterator."""
    try:
        # ClickHouse repeats CSVWithNames' header in every streamed block: name the
        # columns once, from the query's description, and stream plain CSV.
        columns = await engine.select(f"DESCRIBE ({confined})", params, limits.settings())
    except StoreError as exc:
        raise engine_error(exc) from None
    header = ",".join(_quoted(row["name"]) for row in columns).encode() + b"\n"
    spool = ChunkSpool()

    async def run(on_chunk: Callable[[bytes], None]) -> None:
        await engine.stream(confined, params, CSV_FORMAT, on_chunk, limits.settings(True))

    task = asyncio.create_task(stream_to_spool(spool, run))
    try:
        await spool.wait_for_data()
        if not spool.written:
            await task
            raise HqlError(errors.NO_DATA_RETURNED, "No data returned from query")
    except StoreError as exc:
        _release(spool, task)
        raise engine_error(exc) from None
    except BaseException:
        _release(spool, task)
        raise
    return _follow(header, spool, task)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _follow(
    header: bytes, spool: ChunkSpool, task: asyncio.Task[None]
) -> AsyncIterator[bytes]:
    try:
        yield header
        async for chunk in spool.chunks():
            yield chunk
        failure = await asyncio.gather(task, return_exceptions=True)
        if isinstance(failure[0], BaseException):
            # The status line is gone: cutting the transfer short tells the client the CSV
            # is incomplete, rather than letting it pass for a whole result.
            log.warning("HQL download failed mid-stream: %s", failure[0])
            raise failure[0]
    finally:
        _release(spool, task)


def _release(spool: ChunkSpool, task: asyncio.Task[None]) -> None:
    """Stop the engine side if it still runs; drop the spool file once it has ended."""
    spool.cancel()

    def _ended(done: asyncio.Task[None]) -> None:
        if not done.cancelled():
            # Retrieved, so that an abandoned download ending in DownloadCancelled (or a
            # failure already reported) is not logged as an exception nobody awaited.
            done.exception()
        spool.close()

    if task.done():
        _ended(task)
    else:
        task.add_done_callback(_ended)

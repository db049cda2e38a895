"""What both store engines (chdb_engine.py, connect_engine.py) share: blocking calls run on
their own threads (one for chDB, which serves one query at a time; several for a server),
their priority watched (thread_priority.py), reads taken in turns per organization
(fair_reads.py) where there is one thread, and the async methods of the ClickHouseEngine
protocol around a subclass's blocking `_open`, `_query_text`, `_select`, `_stream`,
`_insert` and `_close`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from heliograph.store.engine import QueryParams, QuerySettings
from heliograph.store.fair_reads import OrgSlots, RoundRobin
from heliograph.store.thread_priority import StoreThreadPriority


class ThreadedEngine:
    def __init__(self, threads: int, thread_name: str) -> None:
        self.priority = StoreThreadPriority()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix=thread_name, initializer=self.priority.adopt_current_thread
        )
        # Reads in turns per organization, when one thread serves them all.
        self.reads = RoundRobin(self._executor) if threads == 1 else None
        self.org_slots = OrgSlots()  # held per API request by api/fair_reads.py

    async def _run(self, fn: Callable[..., Any], *args: Any, log_write: bool = False) -> Any:
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self._executor, fn, *args)
        return await self.priority.watch(call, log_write=log_write)

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.reads is None:
            return await self._run(fn, *args)
        return await self.priority.watch(self.reads.run(functools.partial(fn, *args)))

    async def open(self) -> None:
        await self._run(self._open)

    async def execute(self, sql: str, params: QueryParams | None = None) -> None:
        await self._run(self._execute, sql, params)

    async def select(
        self, sql: str, params: QueryParams | None = None, settings: QuerySettings | None = None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self._read(self._select, sql, params, settings)
        return rows

    async def stream(
        self,
        sql: str,
        params: QueryParams | None,
        fmt: str,
        on_chunk: Callable[[bytes], None],
        settings: QuerySettings | None = None,
    ) -> None:
        await self._read(self._stream, sql, params, fmt, on_chunk, settings)

    async def insert_json_lines(
        self, table: str, lines: Sequence[bytes], source: Path | None = None
    ) -> None:
        if lines:
            await self._run(self._insert, table, lines, source, log_write=True)

    async def close(self) -> None:
        await self._run(self._close)
        self._executor.shutdown(wait=True)

    # The blocking side, a subclass's.
    def _open(self) -> None:
        raise NotImplementedError

    def _execute(self, sql: str, params: QueryParams | None) -> None:
        raise NotImplementedError

    def _select(
        self, sql: str, params: QueryParams | None, settings: QuerySettings | None
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _stream(
        self,
        sql: str,
        params: QueryParams | None,
        fmt: str,
        on_chunk: Callable[[bytes], None],
        settings: QuerySettings | None,
    ) -> None:
        raise NotImplementedError

    def _insert(self, table: str, lines: Sequence[bytes], source: Path | None) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

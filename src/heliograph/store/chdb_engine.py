"""Embedded ClickHouse through chDB, owned by one thread.

chDB runs queries in-process and releases the GIL while it works, but one session is
not safe to use from several threads at once (query parameters of concurrent queries
get mixed up), so every call goes through a single-thread executor.

That thread runs at a lower CPU priority, and so do the threads ClickHouse starts from
it, which inherit it: on a machine with few cores, a batch insert's parsing would
otherwise take the core from the event loop for milliseconds at a time, and every request
waiting meanwhile would take that long. The store still gets the CPU the request path
leaves (store/thread_priority.py), and spooled rows wait on disk if it falls behind.

Reads reach that thread one at a time, organizations in turn (store/fair_reads.py);
inserts and statements go straight to it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from heliograph.fileio import write_all
from heliograph.store.engine import QueryParams, QuerySettings, store_error
from heliograph.store.sql_text import DATABASE as DATABASE  # where hql/ finds it
from heliograph.store.sql_text import json_each_row, literal, map_literal, settings_clause
from heliograph.store.threaded_engine import ThreadedEngine

# chDB's allocator (its own jemalloc, configured by JE_MALLOC_CONF) keeps freed pages for
# ClickHouse's default 5 s. With a batch insert every second, that kept 200-450 MB of
# freed memory resident, rising and falling with the merges (RSS 540-830 MiB over 60
# batches of 2,000 stream rows). At 1 s it returns them within a batch period: 490-650 MiB,
# with no change in streams per second beyond the run-to-run noise (bench.profile, 2 runs).
ALLOCATOR_CONF = "dirty_decay_ms:1000"


def _param_text(value: Any) -> Any:
    """A query parameter as chDB wants it; arrays go as ClickHouse literals."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return map_literal(value)
    if isinstance(value, str):
        return value.translate(_ESCAPED_FORMAT)
    return value


# ClickHouse reads a scalar parameter in its "escaped" (TSV) format: without this, a
# backslash would start an escape sequence and a tab or newline would end the value.
_ESCAPED_FORMAT = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class ChdbEngine(ThreadedEngine):
    embedded = True  # one process owns the store: migrations need no lock
    cluster = ""

    def __init__(self, path: Path) -> None:
        super().__init__(1, "chdb")  # a chDB session serves one query at a time
        self._path = path
        self._session: Any = None

    def _open(self) -> None:
        # Read when chDB loads; a value set by the operator wins.
        os.environ.setdefault("JE_MALLOC_CONF", ALLOCATOR_CONF)
        from chdb import session  # imported late: loading chDB takes a noticeable moment

        self._path.mkdir(parents=True, exist_ok=True)
        self._session = session.Session(str(self._path))  # type: ignore[no-untyped-call]
        self._query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        self._query(f"USE {DATABASE}")

    def _query(self, sql: str, fmt: str = "CSV", params: QueryParams | None = None) -> Any:
        try:
            if params:
                return self._session.query(
                    sql, fmt, params={k: _param_text(v) for k, v in params.items()}
                )
            return self._session.query(sql, fmt)
        except Exception as exc:  # chDB raises bare RuntimeError/ChdbError subclasses
            raise store_error(str(exc).strip()) from None

    def _execute(self, sql: str, params: QueryParams | None) -> None:
        self._query(sql, "CSV", params)

    def _select(
        self, sql: str, params: QueryParams | None, settings: QuerySettings | None = None
    ) -> list[dict[str, Any]]:
        result = self._query(sql + settings_clause(settings), "JSONEachRow", params)
        return json_each_row(result.bytes())

    def _stream(
        self,
        sql: str,
        params: QueryParams | None,
        fmt: str,
        on_chunk: Callable[[bytes], None],
        settings: QuerySettings | None,
    ) -> None:
        # One executor task from start to end: chDB cancels a streaming query as soon as
        # the session runs any other query.
        values = {k: _param_text(v) for k, v in (params or {}).items()}
        try:
            stream = self._session.send_query(sql + settings_clause(settings), fmt, params=values)
        except Exception as exc:
            raise store_error(str(exc).strip()) from None
        try:
            while True:
                try:
                    chunk = stream.fetch()
                except Exception as exc:
                    raise store_error(str(exc).strip()) from None
                if chunk is None:
                    return
                on_chunk(chunk.bytes())
        finally:
            with contextlib.suppress(Exception):  # already ended, or failed: nothing to cancel
                stream.cancel()

    def _insert(self, table: str, lines: Sequence[bytes], source: Path | None) -> None:
        # The rows go through a file, not inline in the query: chDB holds the GIL while it
        # takes in a query's text (measured: ~1 ms per MB of rows, so a 1 s batch stalled
        # the event loop for 3-15 ms), while os.writev and a read from INFILE do not.
        if source is not None:  # already on disk: the log pipeline's sealed segment
            self._insert_file(table, source)
            return
        batch = self._path / "insert-batch.jsonl"
        fd = os.open(batch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, lines)
        finally:
            os.close(fd)
        try:
            self._insert_file(table, batch)
        finally:
            batch.unlink(missing_ok=True)

    def _insert_file(self, table: str, path: Path) -> None:
        self._query(
            f"INSERT INTO {table} FROM INFILE {literal(str(path.absolute()))} "
            "SETTINGS input_format_skip_unknown_fields = 1 FORMAT JSONEachRow"
        )

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

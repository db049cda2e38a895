"""The store through clickhouse-connect: a ClickHouse server (`http(s)://`) or chDB (`chdb://`).

clickhouse-connect (1.12) carries its own chDB backend (`get_client(dsn="chdb:///path")`,
which imports the `chdb` module that chdb-core provides), so one client API reaches both
engines, and the SQL above this module (migrations, filters, HQL, metrics, readers) is the
same for both. Rows are read as JSONEachRow, as from ChdbEngine, so readers see the same
values whichever engine answered.

On chDB the client runs on one thread, at the store's priority, reads handed to it in turns
(as in chdb_engine.py). On a server, calls run on a few threads at once: the server does the
work, the threads only wait on sockets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from heliograph.store.chdb_engine import ALLOCATOR_CONF
from heliograph.store.engine import QueryParams, QuerySettings, StoreUnavailable, store_error
from heliograph.store.hql_readers import HqlReaders
from heliograph.store.sql_text import (
    DATABASE,
    json_each_row,
    literal,
    map_literal,
    settings_clause,
)
from heliograph.store.threaded_engine import ThreadedEngine

# Calls in flight at once on a server (an HTTP connection each).
SERVER_THREADS = 8
_STREAM_PIECE = 1 << 16
_INSERT_SETTINGS = {"input_format_skip_unknown_fields": 1}
_FOR_URL = re.compile(r"\s*\(for url [^)]*\)$")


def is_embedded(url: str) -> bool:
    """Whether `url` names an in-process chDB store rather than a server."""
    return url.startswith("chdb:")


def chdb_url(path: Path) -> str:
    """The clickhouse-connect URL of a chDB store directory."""
    return "chdb://" + str(path.absolute())


class ClickHouseConnectEngine(ThreadedEngine):
    """The ClickHouseEngine protocol over a clickhouse-connect client."""

    def __init__(self, url: str, *, cluster: str = "") -> None:
        embedded = is_embedded(url)
        super().__init__(1 if embedded else SERVER_THREADS, "clickhouse")
        self.url = url
        self.embedded = embedded
        self.cluster = cluster
        self._client: Any = None
        # On a server, HQL's queries run as their organization's read-only user.
        self.hql_readers: HqlReaders | None = None

    def _open(self) -> None:
        import clickhouse_connect  # imported late: it loads chDB for a chdb:// URL

        if self.embedded:
            os.environ.setdefault("JE_MALLOC_CONF", ALLOCATOR_CONF)
            Path(self.url.removeprefix("chdb://")).mkdir(parents=True, exist_ok=True)
        # No session on a server: calls from several threads at once (chDB has none).
        options: dict[str, Any] = {} if self.embedded else {"autogenerate_session_id": False}
        try:
            client = clickhouse_connect.get_client(dsn=self.url, **options)
        except Exception as exc:
            raise _error(exc) from None
        self._client = client
        on_cluster = f" ON CLUSTER {self.cluster}" if self.cluster else ""
        self._call(client.command, f"CREATE DATABASE IF NOT EXISTS {DATABASE}{on_cluster}")
        client.database = DATABASE

    @staticmethod
    def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # clickhouse-connect's DatabaseError, OperationalError
            raise _error(exc) from None

    def _execute(self, sql: str, params: QueryParams | None) -> None:
        self._call(self._client.command, sql, _params(params))

    def _reader(self, params: QueryParams | None) -> Any:
        """The client a read goes through: an HQL query's organization's, or Heliograph's."""
        readers = self.hql_readers
        organization = readers.organization_of(params) if readers else None
        if readers is None or organization is None:
            return self._client
        return self._call(readers.client_for, self._client, organization)

    def _select(
        self, sql: str, params: QueryParams | None, settings: QuerySettings | None
    ) -> list[dict[str, Any]]:
        data: bytes = self._call(
            self._reader(params).raw_query,
            sql + settings_clause(settings),
            _params(params),
            fmt="JSONEachRow",
        )
        return json_each_row(data)

    def _stream(
        self,
        sql: str,
        params: QueryParams | None,
        fmt: str,
        on_chunk: Callable[[bytes], None],
        settings: QuerySettings | None,
    ) -> None:
        # The settings ride in the query: given as settings, chDB's backend would apply
        # them with SET and read the whole answer before handing over any of it.
        stream = self._call(
            self._reader(params).raw_stream,
            sql + settings_clause(settings),
            _params(params),
            fmt=fmt,
        )
        try:
            while True:
                piece = self._call(stream.read, _STREAM_PIECE)
                if not piece:
                    return
                on_chunk(piece)
        finally:
            stream.close()  # stops a query that on_chunk broke off

    def _insert(self, table: str, lines: Sequence[bytes], source: Path | None) -> None:
        if source is not None and self.embedded:
            # chDB reads the sealed segment itself, as ChdbEngine does: no copy.
            self._call(
                self._client.command,
                f"INSERT INTO {table} FROM INFILE {literal(str(source.absolute()))} "
                "SETTINGS input_format_skip_unknown_fields = 1 FORMAT JSONEachRow",
            )
            return
        self._call(
            self._client.raw_insert,
            table,
            insert_block=b"".join(lines),
            settings=_INSERT_SETTINGS,
            fmt="JSONEachRow",
        )

    def _close(self) -> None:
        if self.hql_readers is not None:
            self.hql_readers.close()
        if self._client is not None:
            self._client.close()
            self._client = None


def _params(params: QueryParams | None) -> dict[str, Any]:
    """Query parameters as clickhouse-connect should send them."""
    return {name: _param(value) for name, value in (params or {}).items()}


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return _MapLiteral(value)
    return value


class _MapLiteral:
    """A Map parameter as ClickHouse reads one: `{'k':'v'}`. clickhouse-connect would send a
    dict as JSON (refused by a Map parameter), and a string escaped once more (which a Map
    is not); any other object it sends as its str()."""

    def __init__(self, value: dict[Any, Any]) -> None:
        self._text = map_literal(value)

    def __str__(self) -> str:
        return self._text


def _error(exc: Exception) -> Exception:
    from clickhouse_connect.driver.exceptions import OperationalError

    message = _FOR_URL.sub("", str(exc).strip())
    # An HTTP server's error comes after clickhouse-connect's preamble: ClickHouse's own
    # words ("Code: 47. DB::Exception: ..."), as chDB's, are what callers are shown.
    message = message[message.find("Code: ") :] if "Code: " in message else message
    if isinstance(exc, OperationalError):  # the server could not be reached
        return StoreUnavailable(f"The log store is unavailable; retry shortly ({message[:300]})")
    return store_error(message)

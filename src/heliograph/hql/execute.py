"""Running confined HQL on the engine: limits, error codes, the execute answer, the schema."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from heliograph.errors import HeliographError
from heliograph.hql import errors
from heliograph.hql.answer import ExecuteAnswer, JsonRows
from heliograph.hql.csv_stream import ChunkSpool
from heliograph.hql.errors import HqlError
from heliograph.hql.sandbox import MAX_SQL_CHARS, confine
from heliograph.hql.tables import ALLOWED_TABLES, HIDDEN_COLUMNS, ORG_PARAM
from heliograph.store.chdb_engine import DATABASE
from heliograph.store.engine import ClickHouseEngine, QuerySettings, StoreError, StoreUnavailable

DEFAULT_LIMIT = 100
MAX_LIMIT = 300_000
SCHEMA_FIELDS = (
    "name",
    "type",
    "default_type",
    "default_expression",
    "comment",
    "codec_expression",
    "ttl_expression",
)
# ClickHouse quotes the whole (confined) query in some messages: noise to the caller.
_QUOTED_QUERY = re.compile(
    r"[.:]? [Ii]n (?:scope|query) .*?(?= \([A-Z_]+\)$)|[.:]? [Ii]n (?:scope|query) .*$"
)


@dataclass(frozen=True)
class HqlLimits:
    """What one HQL query may use; ClickHouse enforces them (Helicone: 30 s per query)."""

    max_execution_s: int = 30
    max_memory_bytes: int = 2_000_000_000
    # An execute answer is parked on disk until it is sent: bound its size.
    max_result_bytes: int = 512 * 1024 * 1024
    # The longest query text checked (setting hql_max_sql_chars): checking takes about
    # 25 us of CPU per character, the GIL held, whichever thread it runs on.
    max_sql_chars: int = MAX_SQL_CHARS

    def settings(self, streamed: bool = False) -> QuerySettings:
        settings: dict[str, int | str] = {
            "max_execution_time": self.max_execution_s,
            "timeout_overflow_mode": "throw",
            "max_memory_usage": self.max_memory_bytes,
        }
        if streamed:
            # Blocks of a few MB, even of wide rows or joins (65,409 rows by default):
            # a streamed answer is converted and parked one block at a time.
            settings |= {"max_block_size": 4096, "max_joined_block_size_rows": 4096}
        else:
            settings["max_result_bytes"] = self.max_result_bytes
        settings["readonly"] = 1  # last: nothing after it could change a setting
        return settings


async def prepare(
    sql: str, organization_id: str, limit: int, limits: HqlLimits, checker: Executor | None = None
) -> tuple[str, dict[str, str]]:
    """The confined SQL and its parameters; raises HqlError when the SQL is refused.

    `checker`, when given, is the thread the check runs on, away from the event loop."""
    loop = asyncio.get_running_loop()
    confined = await loop.run_in_executor(
        checker, confine, sql, limit, DATABASE, limits.max_sql_chars
    )
    return confined, {ORG_PARAM: organization_id}


def engine_error(exc: StoreError) -> HeliographError:
    """A ClickHouse failure as Helicone's HQL error code; a failing machine under the store
    is not the query's fault, and stays a 503."""
    if isinstance(exc, StoreUnavailable):
        return exc
    text = str(exc).strip()
    first = text.splitlines()[0] if text else "Query execution failed"
    message = _QUOTED_QUERY.sub("", first).removeprefix("Streaming query failed: ")[:500]
    if "TIMEOUT_EXCEEDED" in text or "Timeout exceeded" in text:
        return HqlError(
            errors.QUERY_TIMEOUT, f"Query execution timeout. Please optimize your query: {message}"
        )
    if "MEMORY_LIMIT_EXCEEDED" in text:
        return HqlError(
            errors.MEMORY_LIMIT_EXCEEDED,
            f"Query exceeded memory limit. Please reduce the data scope: {message}",
        )
    if "TOO_MANY_ROWS_OR_BYTES" in text:
        return HqlError(
            errors.RESULT_LIMIT_EXCEEDED,
            f"Query result is too large. Please select fewer columns or rows: {message}",
        )
    return HqlError(errors.EXECUTION_FAILED, f"Query execution failed: {message}")


async def execute(
    engine: ClickHouseEngine,
    organization_id: str,
    sql: str,
    limit: int,
    limits: HqlLimits,
    checker: Executor | None = None,
) -> ExecuteAnswer:
    """Run HQL into Helicone's ExecuteSqlResponse envelope, parked on disk until sent.

    Cancelled (the client went away), the query stops at its next block of rows."""
    confined, params = await prepare(sql, organization_id, limit, limits, checker)
    spool = ChunkSpool()
    rows = JsonRows(spool, limits.max_result_bytes)
    started = time.perf_counter()
    try:
        await engine.stream(confined, params, "JSONEachRow", rows.write, limits.settings(True))
    except StoreError as exc:
        spool.close()
        raise engine_error(exc) from None
    except HqlError:  # the answer outgrew max_result_bytes: the query has stopped
        spool.close()
        raise
    except BaseException:
        spool.cancel()  # the engine thread may still be writing: it stops at its next chunk
        raise
    rows.finish()
    spool.finish()
    return ExecuteAnswer(spool, rows, round((time.perf_counter() - started) * 1000))


async def schema(engine: ClickHouseEngine) -> list[dict[str, Any]]:
    """The tables HQL reads and their columns, Helicone's `ClickHouseTableSchema[]`."""
    tables = []
    try:
        for name, table in ALLOWED_TABLES.items():
            stored = await engine.select(f"DESCRIBE TABLE {DATABASE}.{name}")
            columns = [_column(row) for row in stored if row["name"] not in HIDDEN_COLUMNS]
            if table.aliases:
                listing = ", ".join(f"{expr} AS {alias}" for alias, expr in table.aliases)
                derived = await engine.select(f"DESCRIBE (SELECT {listing} FROM {DATABASE}.{name})")
                expressions = dict(table.aliases)
                for row in derived:
                    column = _column(row)
                    column["default_type"] = "ALIAS"
                    column["default_expression"] = expressions[row["name"]]
                    columns.append(column)
            tables.append({"table_name": name, "columns": columns})
    except StoreError as exc:
        raise HqlError(errors.SCHEMA_FETCH_FAILED, f"Failed to fetch the schema: {exc}") from None
    return tables


def _column(row: dict[str, Any]) -> dict[str, Any]:
    return {field: row.get(field, "") for field in SCHEMA_FIELDS}

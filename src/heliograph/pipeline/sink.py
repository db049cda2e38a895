"""Where the log pipeline delivers rows: the seam for scale-out stores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.log_row import LogRow, RequestKey
from heliograph.store.relogged import copy_relogged, stored_keys

REQUEST_TABLE = "request_response_rmt"


class LogSink(Protocol):
    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        """Store the rows; raise when the store did not take them.

        `segment`, when given, is the sealed spool segment holding exactly these rows' lines.
        """

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        """Which of these (organization, request id) pairs the store already holds (for an
        idempotent replay: two organizations may log the same request id)."""


class ClickHouseSink:
    """Rows go straight into `request_response_rmt` of a ClickHouse engine (chDB or server)."""

    def __init__(self, engine: ClickHouseEngine) -> None:
        self._engine = engine

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        # A request id stored before (a retried export, a reused id) must be read once.
        await copy_relogged(self._engine, rows)
        await self._engine.insert_json_lines(REQUEST_TABLE, [row.line for row in rows], segment)

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        return await stored_keys(self._engine, keys)

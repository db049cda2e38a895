"""The ClickHouse engine seam: embedded chDB now, a ClickHouse server later, same SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

QueryParams = Mapping[str, Any]


class StoreError(RuntimeError):
    """The analytics store refused or failed a statement."""


class ClickHouseEngine(Protocol):
    """What the rest of Heliograph needs from ClickHouse; every method is async-safe."""

    async def execute(self, sql: str, params: QueryParams | None = None) -> None:
        """Run a statement that returns nothing (DDL, ALTER)."""

    async def select(self, sql: str, params: QueryParams | None = None) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts, 64-bit integers as numbers."""

    async def insert_json_lines(self, table: str, lines: Sequence[bytes]) -> None:
        """Insert rows given as JSONEachRow lines (each a JSON object, newline-terminated)."""

    async def close(self) -> None:
        """Release the engine."""

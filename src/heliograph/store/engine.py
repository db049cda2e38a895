"""The ClickHouse engine seam: embedded chDB now, a ClickHouse server later, same SQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from heliograph.errors import HeliographError

QueryParams = Mapping[str, Any]
# Per-query ClickHouse settings chosen by Heliograph (limits, readonly), never by a caller.
QuerySettings = Mapping[str, int | str]


class StoreError(HeliographError, RuntimeError):
    """The analytics store refused or failed a statement."""


_ERROR_CODE = re.compile(r"Code: (\d+)\.")
# ClickHouse errors that come from the machine, not from the rows: memory, disk, parts,
# time, concurrency, cancellation. Errors naming an errno (EMFILE, ENOSPC) are such too.
RESOURCE_ERROR_CODES = frozenset({159, 202, 209, 210, 236, 241, 243, 252, 394, 425, 1000, 1001})


# The machine failing under the store (no descriptor, no disk space): the answer is "retry
# later" (503), whatever was asked. Codes: CANNOT_READ/WRITE_FROM/TO_FILE_DESCRIPTOR,
# CANNOT_OPEN_FILE, NOT_ENOUGH_SPACE, SYSTEM_ERROR.
MACHINE_ERROR_CODES = frozenset({74, 75, 76, 243, 425})


class StoreUnavailable(StoreError):
    """The store cannot answer now because the machine under it is failing."""

    status = 503
    kind = "service_unavailable_error"


def store_error(message: str) -> StoreError:
    """The error for a failed statement: StoreUnavailable when the machine failed it."""
    code = _ERROR_CODE.search(message)
    if "errno" in message or (code is not None and int(code.group(1)) in MACHINE_ERROR_CODES):
        return StoreUnavailable(f"The log store is unavailable; retry shortly ({message[:300]})")
    return StoreError(message)


def is_row_refusal(exc: BaseException) -> bool:
    """Whether the store refused the data itself (a value it cannot parse or fit), which
    no retry will change, rather than failing for a while (files, memory, disk, network)."""
    message = str(exc)
    code = _ERROR_CODE.search(message)
    if code is None or "errno" in message:
        return False
    return int(code.group(1)) not in RESOURCE_ERROR_CODES


class ClickHouseEngine(Protocol):
    """What the rest of Heliograph needs from ClickHouse; every method is async-safe."""

    async def execute(self, sql: str, params: QueryParams | None = None) -> None:
        """Run a statement that returns nothing (DDL, ALTER)."""

    async def select(
        self, sql: str, params: QueryParams | None = None, settings: QuerySettings | None = None
    ) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts, 64-bit integers as numbers."""

    async def stream(
        self,
        sql: str,
        params: QueryParams | None,
        fmt: str,
        on_chunk: Callable[[bytes], None],
        settings: QuerySettings | None = None,
    ) -> None:
        """Run a SELECT and hand its output in `fmt` to `on_chunk` piece by piece.

        `on_chunk` runs on the engine's thread and must be quick; raising from it cancels
        the query. Nothing else runs on the engine until the query ends.
        """

    async def insert_json_lines(
        self, table: str, lines: Sequence[bytes], source: Path | None = None
    ) -> None:
        """Insert rows given as JSONEachRow lines (each a JSON object, newline-terminated).

        `source`, when given, is a file holding exactly these lines (a sealed spool
        segment): an engine that reads files may insert from it instead of the lines.
        """

    async def close(self) -> None:
        """Release the engine."""

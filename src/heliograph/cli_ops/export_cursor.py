"""The export's resumable cursor: how far an export got, saved after every page.

Pages are read oldest first from the last exported `request_created_at` on; the ids already
written at that very millisecond are kept, so a page starts after them (`offset`) and none
is written twice, however many requests share one millisecond (imports often do). The
cursor also holds the output's size after the last page: a resumed export first cuts off
whatever an interrupted one wrote after its last saved page.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError


@dataclass
class Cursor:
    query: Any  # the filter AST asked for (without the cursor's own condition)
    created_at: str | None = None  # the newest request_created_at written so far
    ids_at_created_at: list[str] = field(default_factory=list)
    rows: int = 0  # written in total
    output_bytes: int = 0  # the output's size after the last page

    def filter(self) -> Any:
        """The query AND "not before the cursor"."""
        if self.created_at is None:
            return self.query
        since = {"request_response_rmt": {"request_created_at": {"gte": self.created_at}}}
        return {"left": self.query, "operator": "and", "right": since}

    def fresh(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A page without the rows already written (the guard behind the offset)."""
        seen = set(self.ids_at_created_at)
        return [
            r
            for r in rows
            if not (r["request_created_at"] == self.created_at and r["request_id"] in seen)
        ]

    def advance(self, written: list[dict[str, Any]], output_bytes: int) -> None:
        for row in written:
            if row["request_created_at"] != self.created_at:
                self.created_at, self.ids_at_created_at = row["request_created_at"], []
            self.ids_at_created_at.append(row["request_id"])
        self.rows += len(written)
        self.output_bytes = output_bytes


def load(path: Path, query: Any) -> Cursor:
    cursor = Cursor(**orjson.loads(path.read_bytes()))
    if cursor.query != query:
        raise InvalidRequestError(
            f"{path} is the cursor of an export with another filter; give the same filter, "
            "--since and --until to resume it"
        )
    return cursor


def save(path: Path, cursor: Cursor) -> None:
    """Replace the cursor file at once (a crash leaves the old one or the new one)."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(orjson.dumps(asdict(cursor)))
    os.replace(partial, path)

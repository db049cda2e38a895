"""The export's output formats: JSONL (Helicone's request rows as they are), CSV and
Parquet (the same fields, nested values as JSON text).

Parquet is written by chDB, which Heliograph has anyway (pyarrow is not a dependency): rows
are staged as flat JSON lines next to the output (`OUTPUT.rows.jsonl`, kept so a later
`--resume` can add rows) and converted when the export ends.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from heliograph.errors import HeliographError

FORMATS = ("jsonl", "csv", "parquet")
# Parquet column types of the numeric fields; every other field is text.
NUMERIC = {
    "response_status": "Int64", "delay_ms": "Int64", "time_to_first_token": "Int64",
    "total_tokens": "Int64", "prompt_tokens": "Int64", "completion_tokens": "Int64",
    "reasoning_tokens": "Int64", "prompt_cache_read_tokens": "Int64",
    "prompt_cache_write_tokens": "Int64", "prompt_audio_tokens": "Int64",
    "completion_audio_tokens": "Int64", "size_bytes": "Int64", "cost": "Float64",
}  # fmt: skip


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: orjson.dumps(value).decode() if isinstance(value, dict | list) else value
        for key, value in row.items()
    }


class ExportWriter:
    """Appends pages of rows to a file, cut back first to `start_bytes` (the cursor's)."""

    def __init__(self, output: Path, fmt: str, start_bytes: int) -> None:
        self.output, self.fmt = output, fmt
        self.target = output.with_name(output.name + ".rows.jsonl") if fmt == "parquet" else output
        self._file: BinaryIO = open(self.target, "ab")
        self._file.truncate(start_bytes)
        self._columns: list[str] | None = None

    def write(self, rows: list[dict[str, Any]]) -> int:
        """Write a page, durably; returns the file's size after it."""
        if self.fmt == "jsonl":
            self._file.write(b"".join(orjson.dumps(row) + b"\n" for row in rows))
        elif self.fmt == "parquet":
            self._file.write(b"".join(orjson.dumps(_flat(row)) + b"\n" for row in rows))
        else:
            self._file.write(self._csv(rows))
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def _csv(self, rows: list[dict[str, Any]]) -> bytes:
        text = io.StringIO()
        self._columns = self._columns or list(rows[0])
        writer = csv.DictWriter(text, self._columns, extrasaction="ignore", lineterminator="\n")
        if self._file.tell() == 0:
            writer.writeheader()
        writer.writerows(_flat(row) for row in rows)
        return text.getvalue().encode()

    def close(self) -> None:
        self._file.close()

    def finish(self) -> None:
        """Write the Parquet file from the staged rows (other formats are complete)."""
        self.close()
        if self.fmt != "parquet":
            return
        import chdb

        if self.target.stat().st_size == 0:
            raise HeliographError("no rows to write: a Parquet file needs at least one")
        fields = self._fields()
        structure = ", ".join(
            f"`{name}` Nullable({NUMERIC.get(name, 'String')})" for name in fields
        )
        self.output.unlink(missing_ok=True)
        chdb.query(  # type: ignore[no-untyped-call]
            f"SELECT * FROM file({_quoted(self.target)}, 'JSONEachRow', '{structure}') "
            f"INTO OUTFILE {_quoted(self.output)} FORMAT Parquet"
        )

    def _fields(self) -> list[str]:
        with open(self.target, "rb") as staged:
            return list(orjson.loads(staged.readline()))


def _quoted(path: Path) -> str:
    text = str(path.absolute()).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"

"""Reading the records of an import file: JSONL, a JSON array (or `{"data": [...]}`, as
paged APIs answer), CSV with a header row, or Parquet (read by chDB, as export writes it).

Each record comes with where it is in the file (`line 12`, `record 3` of a JSON array) for
the report of rejected records, or with what is wrong with it instead of its fields.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

FILE_TYPES = ("jsonl", "json", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
            ".parquet": "parquet"}  # fmt: skip
MAX_CSV_CELL = 256 << 20  # bodies can be large; the csv module's default is 128 KiB
# Helicone's export script ends every record of its JSON array with ",\n" unless given a
# --limit, so the array it writes ends in ",\n]": tolerated, as the one flaw it has.
TRAILING_COMMA = re.compile(rb",\s*\]\s*$")


@dataclass(frozen=True, slots=True)
class Record:
    where: str  # "line 12", "record 3"
    fields: dict[str, Any] | None  # None: unreadable, `problem` says why
    problem: str = ""


def file_type(path: Path) -> str:
    """The file's type by its suffix; JSONL when the suffix says nothing."""
    return SUFFIXES.get(path.suffix.lower(), "jsonl")


def read_records(path: Path, kind: str) -> Iterator[Record]:
    if kind == "jsonl":
        return _jsonl(path)
    if kind == "json":
        return _json_array(path)
    if kind == "csv":
        return _csv(path)
    # Read whole, now: chDB serves one session a process, and the store opens next.
    return iter(list(_parquet(path)))


def _jsonl(path: Path) -> Iterator[Record]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _record(f"line {number}", line)


def _record(where: str, text: bytes) -> Record:
    try:
        fields = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return Record(where, None, f"not JSON: {exc}")
    if not isinstance(fields, dict):
        return Record(where, None, "not a JSON object")
    return Record(where, fields)


def _json_array(path: Path) -> Iterator[Record]:
    text = TRAILING_COMMA.sub(b"]", path.read_bytes())
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        # A `.json` file of one object a line: read it as the JSONL it is.
        yield from _jsonl(path)
        return
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if not isinstance(document, list):
        yield Record("record 1", None, "the file is neither a JSON array nor JSON lines")
        return
    for number, fields in enumerate(document, start=1):
        if isinstance(fields, dict):
            yield Record(f"record {number}", fields)
        else:
            yield Record(f"record {number}", None, "not a JSON object")


def _csv(path: Path) -> Iterator[Record]:
    csv.field_size_limit(MAX_CSV_CELL)
    with path.open(newline="", encoding="utf-8-sig") as text:
        reader = csv.DictReader(text)
        try:
            reader.fieldnames  # noqa: B018 - reads the header, so that line_num counts it
            line = reader.line_num + 1
            for row in reader:
                if None in row:  # more cells than the header names
                    yield Record(f"line {line}", None, "more cells than the header has")
                else:
                    yield Record(f"line {line}", dict(row))
                line = reader.line_num + 1
        except csv.Error as exc:
            yield Record(f"line {line}", None, f"not CSV: {exc} (the rest is not read)")


def _parquet(path: Path) -> Iterator[Record]:
    import chdb

    quoted = str(path.absolute()).replace("\\", "\\\\").replace("'", "\\'")
    answer = chdb.query(  # type: ignore[no-untyped-call]
        f"SELECT * FROM file('{quoted}', Parquet)", "JSONEachRow"
    )
    for number, line in enumerate(answer.bytes().splitlines(), start=1):
        yield _record(f"row {number}", line)

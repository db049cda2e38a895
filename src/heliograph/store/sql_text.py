"""ClickHouse SQL text Heliograph writes itself (literals, the SETTINGS clause of a read) and
the JSONEachRow text a read answers.

The same for every engine (chdb_engine.py, connect_engine.py): a value that reaches SQL text
is always quoted here, never formatted in place.
"""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.store.engine import QuerySettings

DATABASE = "heliograph"
# Every read asks for 64-bit integers as JSON numbers, whichever engine answers.
_SETTINGS = " SETTINGS output_format_json_quote_64bit_integers = 0"
_LITERAL = str.maketrans({"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def literal(value: Any) -> str:
    """A number, or any value as a quoted ClickHouse string literal."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).translate(_LITERAL)
    return f"'{text}'"


def map_literal(value: dict[Any, Any]) -> str:
    """A dict as a ClickHouse Map literal, `{'k':'v'}`."""
    return "{" + ",".join(f"{literal(k)}:{literal(v)}" for k, v in value.items()) + "}"


def settings_clause(settings: QuerySettings | None) -> str:
    """The SETTINGS clause a read ends with: Heliograph's own, then `settings`."""
    extra = "".join(f", {name} = {literal(value)}" for name, value in (settings or {}).items())
    return _SETTINGS + extra


def json_each_row(data: bytes) -> list[dict[str, Any]]:
    """The rows of a JSONEachRow answer. A cut multi-byte character (substring() of a
    Japanese body) is not UTF-8: it is read as U+FFFD rather than failing the whole read."""
    text = data.decode("utf-8", "replace")
    return [orjson.loads(line) for line in text.split("\n") if line]

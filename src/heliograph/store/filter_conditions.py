"""One field's operators compiled to a parameterized ClickHouse condition.

A field is an SQL expression of a request row and a kind (text, number, ...); its kind says
which of Helicone's operators apply and how a value is read. Every value becomes a typed
query parameter, never SQL text. Shared by the filter compiler (store/filters.py) and the
Helicone tables it reads over request rows (store/filter_tables.py).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from heliograph.store.engine import StoreError
from heliograph.store.params import Params

MAX_VALUE_CHARS = 10_000
TIMESTAMP = "DateTime64(3, 'UTC')"
MAX_FLOAT = 1e308
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2299, 12, 31, 23, 59, 59, tzinfo=UTC)


class FilterError(StoreError):
    """The filter (or sort) cannot be compiled: the caller's mistake, which the message
    names; the API answers it as a 400."""

    status = 400
    kind = "invalid_request_error"


@dataclass(frozen=True)
class Field:
    sql: str
    kind: str  # text | number | timestamp | bool | body | uuid | cost | list
    nullable: bool = False


_TEXT_OPERATORS = frozenset({"equals", "not-equals", "like", "ilike", "contains", "not-contains"})
OPERATORS: dict[str, frozenset[str]] = {
    "text": _TEXT_OPERATORS,
    "body": _TEXT_OPERATORS,
    "number": frozenset({"equals", "not-equals", "gte", "lte", "lt", "gt"}),
    "cost": frozenset({"equals", "not-equals", "gte", "lte", "lt", "gt"}),
    "timestamp": frozenset({"equals", "gte", "lte", "lt", "gt"}),
    "bool": frozenset({"equals"}),
    # Helicone types ids as text: patterns and substrings apply to their canonical form.
    "uuid": _TEXT_OPERATORS,
    "list": _TEXT_OPERATORS,
}
_COMPARISON = {"equals": "=", "not-equals": "!=", "gte": ">=", "lte": "<=", "lt": "<", "gt": ">"}


def operators(field: Field, name: str, ops: Any, params: Params) -> str:
    """The condition that every operator of `ops` (`{"gte": 1, "lt": 5}`) holds of `field`."""
    if not isinstance(ops, dict) or not ops:
        raise FilterError(f'Field {name!r} needs an object of operators, e.g. {{"equals": ...}}')
    return and_all([condition(field, name, op, value, params) for op, value in ops.items()])


def and_all(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def condition(field: Field, name: str, op: str, value: Any, params: Params) -> str:
    """One operator's condition on `field`; FilterError naming a misfit operator or value."""
    allowed = OPERATORS[field.kind]
    if op not in allowed:
        raise FilterError(
            f"Operator {op!r} does not apply to {name} ({field.kind}); use one of "
            + ", ".join(sorted(allowed))
        )
    col = field.sql
    if value == "null" and op in ("equals", "not-equals"):
        test = f"isNull({col})" if field.nullable else "0"
        return test if op == "equals" else f"NOT {test}"
    if value == "__empty__" and op == "equals" and field.kind in ("text", "body"):
        return f"empty(ifNull({col}, ''))" if field.nullable else f"empty({col})"
    kind = field.kind
    if kind in ("text", "body"):
        return text_condition(col, op, string_value(name, value), params)
    if kind == "list":
        negated = {"not-equals": "equals", "not-contains": "contains"}
        one = text_condition("element", negated.get(op, op), string_value(name, value), params)
        found = f"arrayExists(element -> {one}, {col})"
        return f"NOT {found}" if op in negated else found
    if kind == "number":
        return f"{col} {_COMPARISON[op]} {params.add(number_value(name, value), 'Float64')}"
    if kind == "cost":  # stored as USD x 1e9
        # Beyond Int64 a bound compares like Int64's own: no cost comes near it.
        nano = int(max(-9.2e18, min(number_value(name, value) * 1_000_000_000, 9.2e18)))
        return f"{col} {_COMPARISON[op]} {params.add(nano, 'Int64')}"
    if kind == "timestamp":
        return f"{col} {_COMPARISON[op]} {params.add(timestamp_value(name, value), TIMESTAMP)}"
    if kind == "bool":
        return f"{col} = {params.add(int(bool_value(name, value)), 'UInt8')}"
    return _id_condition(col, op, string_value(name, value), params)


def _id_condition(col: str, op: str, value: str, params: Params) -> str:
    if op not in ("equals", "not-equals"):  # a pattern or substring of the id's text
        return text_condition(f"toString({col})", op, value, params)
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:  # no row has a malformed id
        return "0" if op == "equals" else "1"
    return f"{col} {_COMPARISON[op]} {params.add(canonical, 'UUID')}"


def text_condition(col: str, op: str, value: str, params: Params) -> str:
    """A text operator on `col`; contains and not-contains ignore case, as Helicone's ILIKE."""
    # ClickHouse fails the whole query on a pattern ending in a lone escape (a 500 otherwise).
    if op in ("like", "ilike") and (len(value) - len(value.rstrip("\\"))) % 2:
        raise FilterError(f"A {op} pattern cannot end in a lone backslash (escape it as \\\\)")
    placeholder = params.add(value, "String")
    if op == "contains":
        return f"positionCaseInsensitiveUTF8(ifNull({col}, ''), {placeholder}) > 0"
    if op == "not-contains":
        return f"positionCaseInsensitiveUTF8(ifNull({col}, ''), {placeholder}) = 0"
    if op == "like":
        return f"{col} LIKE {placeholder}"
    if op == "ilike":
        return f"{col} ILIKE {placeholder}"
    return f"{col} {_COMPARISON[op]} {placeholder}"


def string_value(name: str, value: Any) -> str:
    """A filter value as text (numbers are read as their text), at most MAX_VALUE_CHARS."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FilterError(f"{name} needs a string value, not {show(value)}")
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise FilterError(f"{name} value is longer than {MAX_VALUE_CHARS} characters")
    return text


def number_value(name: str, value: Any) -> float:
    """A filter value as a finite number (numbers, numeric strings); FilterError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(max(-MAX_FLOAT, min(value, MAX_FLOAT)))  # JSON integers have no bound
    if isinstance(value, float | str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise FilterError(f"{name} needs a number, not {show(value)}")


def bool_value(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise FilterError(f"{name} needs true or false, not {show(value)}")


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 (with Z or an offset; naive means UTC) or epoch milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (ValueError, OverflowError):  # OverflowError: year 1 moved back past year 1
            pass
    raise FilterError(f"Not a timestamp: {show(value)} (use ISO 8601, e.g. 2024-01-01T00:00:00Z)")


def timestamp_value(name: str, value: Any) -> str:
    try:
        moment = parse_timestamp(value)
    except FilterError as exc:
        raise FilterError(f"{name}: {exc.message}") from None
    # DateTime64 holds 1900..2299; no row lies outside, so clamping keeps every comparison.
    moment = max(EARLIEST, min(moment, LATEST))
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

"""Helicone's filter AST over the legacy prompt tables, as SQLAlchemy conditions: leaves of
`prompt_v2` (`id`, `user_defined_id`) and of `prompts_versions` (`id`, `prompt_v2`,
`major_version`, `minor_version`), the tables Helicone's legacy prompt endpoints filter on.

A node is `"all"` (or `{}`), a leaf `{table: {field: {operator: value}}}` or a branch
`{"left", "operator": "and"|"or", "right"}`; the bounds and the value rules (strings,
numbers, `"null"`, `"__empty__"`) are those of the request filters (store/filters.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, false, literal, not_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from heliograph.meta.models import LegacyPrompt, LegacyPromptVersion
from heliograph.store.filters import (
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_VALUE_CHARS,
    OPERATORS,
    FilterError,
    check_size,
    number_value,
)

Column = InstrumentedAttribute[Any]


@dataclass(frozen=True)
class FilterTable:
    name: str  # the leaf's table, as Helicone names it
    fields: dict[str, tuple[Column, str]]  # field -> (column, "text" | "number")


PROMPTS = FilterTable(
    "prompt_v2",
    {"id": (LegacyPrompt.id, "text"), "user_defined_id": (LegacyPrompt.user_defined_id, "text")},
)
VERSIONS = FilterTable(
    "prompts_versions",
    {
        "id": (LegacyPromptVersion.id, "text"),
        "prompt_v2": (LegacyPromptVersion.prompt_id, "text"),
        "major_version": (LegacyPromptVersion.major_version, "number"),
        "minor_version": (LegacyPromptVersion.minor_version, "number"),
    },
)
_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "equals": operator.eq,
    "not-equals": operator.ne,
    "gte": operator.ge,
    "lte": operator.le,
    "lt": operator.lt,
    "gt": operator.gt,
}


def condition(node: Any, table: FilterTable) -> ColumnElement[bool]:
    """The filter as a condition on `table`; FilterError (a 400) naming what is wrong."""
    check_size(node)
    return _node(node, table, 0, [0])


def _node(node: Any, table: FilterTable, depth: int, leaves: list[int]) -> ColumnElement[bool]:
    if depth > MAX_DEPTH:
        raise FilterError(f"Filter nested deeper than {MAX_DEPTH} levels")
    if node == "all" or node == {}:
        return true()
    if not isinstance(node, dict):
        raise FilterError('A filter node must be an object or "all"')
    if "operator" in node or "left" in node or "right" in node:
        operator = node.get("operator")
        if operator not in ("and", "or") or set(node) != {"left", "operator", "right"}:
            raise FilterError(
                'A filter branch needs exactly "left", "right" and "operator": "and" | "or"'
            )
        left = _node(node["left"], table, depth + 1, leaves)
        right = _node(node["right"], table, depth + 1, leaves)
        return and_(left, right) if operator == "and" else or_(left, right)
    leaves[0] += 1
    if leaves[0] > MAX_LEAVES:
        raise FilterError(f"Filter has more than {MAX_LEAVES} conditions")
    if set(node) != {table.name}:
        raise FilterError(f"This filter's leaves are on table {table.name!r} only")
    fields = node[table.name]
    if not isinstance(fields, dict) or not fields:
        raise FilterError(f"Filter table {table.name!r} needs an object of fields")
    return and_(*(_field(table, name, ops) for name, ops in fields.items()))


def _field(table: FilterTable, name: str, ops: Any) -> ColumnElement[bool]:
    if name not in table.fields:
        known = ", ".join(sorted(table.fields))
        raise FilterError(f"Unknown filter field {table.name}.{name} (known: {known})")
    if not isinstance(ops, dict) or not ops:
        raise FilterError(f'Field {name!r} needs an object of operators, e.g. {{"equals": ...}}')
    column, kind = table.fields[name]
    return and_(*(_condition(column, kind, name, op, value) for op, value in ops.items()))


def _condition(column: Column, kind: str, name: str, op: str, value: Any) -> ColumnElement[bool]:
    if op not in OPERATORS[kind]:
        allowed = ", ".join(sorted(OPERATORS[kind]))
        raise FilterError(
            f"Operator {op!r} does not apply to {name} ({kind}); use one of {allowed}"
        )
    if value == "null" and op in ("equals", "not-equals"):  # no column here is ever missing
        return false() if op == "equals" else true()
    if kind == "number":
        return _COMPARE[op](column, literal(number_value(name, value), Float()))
    if value == "__empty__" and op == "equals":
        value = ""
    return _text(column, op, _string(name, value))


def _text(column: Column, op: str, value: str) -> ColumnElement[bool]:
    if "\x00" in value:  # no stored text holds one (PostgreSQL's cannot)
        return true() if op in ("not-equals", "not-contains") else false()
    if op in ("like", "ilike"):
        # Backslash escapes, on both databases; a lone one at the end stands for itself.
        if (len(value) - len(value.rstrip("\\"))) % 2:
            value += "\\"
        return column.like(value, escape="\\") if op == "like" else column.ilike(value, escape="\\")
    if op in ("contains", "not-contains"):
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = column.ilike(f"%{escaped}%", escape="\\")
        return found if op == "contains" else not_(found)
    return _COMPARE[op](column, value)


def _string(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FilterError(f"{name} needs a string value")
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise FilterError(f"{name} value is longer than {MAX_VALUE_CHARS} characters")
    return text

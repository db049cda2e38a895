"""Helicone's newer filter expressions (`{"type": "condition", ...}`), as its dashboard saves
them on alerts, turned into the filter AST that store/filters.py compiles.

Helicone does the same conversion (`toFilterNode`) before querying.
"""

from __future__ import annotations

from typing import Any

from heliograph.store.filters import FilterError

EXPRESSION_TYPES = frozenset({"all", "condition", "and", "or"})
_OPERATORS = {"eq": "equals", "neq": "not-equals", "is": "equals"}
MAX_DEPTH = 64


def is_expression(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in EXPRESSION_TYPES


def to_filter_node(value: Any) -> Any:
    """A filter node for `value`: an expression is converted, a filter node is kept as is."""
    return _convert(value, 0) if is_expression(value) else value


def _convert(expression: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise FilterError(f"Filter nested deeper than {MAX_DEPTH} levels")
    if not is_expression(expression):
        raise FilterError('Every filter expression needs "type": all, condition, and or or')
    kind = expression["type"]
    if kind == "all":
        return "all"
    if kind == "condition":
        return _condition(expression)
    parts = expression.get("expressions")
    if not isinstance(parts, list):
        raise FilterError(f'A filter "{kind}" expression needs a list of "expressions"')
    if not parts:
        return "all"
    node = _convert(parts[-1], depth + 1)
    for part in reversed(parts[:-1]):
        node = {"left": _convert(part, depth + 1), "operator": kind, "right": node}
    return node


def _condition(expression: dict[str, Any]) -> Any:
    field = expression.get("field")
    operator = expression.get("operator")
    if not isinstance(field, dict) or not isinstance(operator, str) or "value" not in expression:
        raise FilterError('A filter condition needs "field", "operator" and "value"')
    column = field.get("column")
    if not isinstance(column, str) or not column:
        raise FilterError('A filter condition\'s "field" needs a "column"')
    table = field.get("table") or "request_response_rmt"
    key = field.get("key")
    if not isinstance(table, str) or not isinstance(key, str | None):
        raise FilterError('A filter condition\'s "table" and "key" must be strings')
    op = _OPERATORS.get(operator, operator)
    leaf = {op: expression["value"]}
    subtype = field.get("subtype")
    if subtype in ("property", "score") and field.get("valueMode") == "value" and key:
        column_name = "properties" if subtype == "property" else "scores"
        return {table: {column_name: {key: leaf}}}
    if "-" in column and column != "helicone-score-feedback":  # e.g. Helicone-Session-Name
        return {table: {"properties": {column: leaf}}}
    return {table: {column: leaf}}

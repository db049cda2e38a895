"""Helicone's `SortLeafRequest` ({"created_at": "desc"}, {"properties": {"App": "asc"}}, ...)."""

from __future__ import annotations

from typing import Any

from heliograph.store.filters import RMT_FIELDS, FilterError, property_value
from heliograph.store.params import Params

DEFAULT_ORDER = "request_created_at DESC, request_id DESC"
SORT_ALIASES = {
    "created_at": "request_created_at",
    "cache_created_at": "request_created_at",
    "last_active": "request_created_at",
    "body_model": "model",
    "request_prompt": "request_body",
    "response_text": "response_body",
    "delay_ms": "latency",
}
_IS_CACHED = "cache_reference_id != toUUID('00000000-0000-0000-0000-000000000000')"


def compile_sort(sort: Any, params: Params) -> str:
    """ORDER BY for a sort leaf; request_id breaks ties so pages never overlap."""
    if sort is None or sort == {}:
        return DEFAULT_ORDER
    if not isinstance(sort, dict):
        raise FilterError('sort must be an object such as {"created_at": "desc"}')
    key, direction = next(iter(sort.items()))
    if key == "random":
        return "rand(), request_id"
    if key in ("properties", "values"):
        if not isinstance(direction, dict) or len(direction) != 1:
            raise FilterError('sort by property takes {"properties": {"<key>": "asc"|"desc"}}')
        name, direction = next(iter(direction.items()))
        expression = property_value(params.add(str(name), "String"))
    elif key == "is_cached":
        expression = _IS_CACHED
    else:
        column = SORT_ALIASES.get(str(key), str(key))
        field = RMT_FIELDS.get(column)
        if field is None or column == "organization_id":
            raise FilterError(f"Cannot sort by {key!r}")
        expression = field.sql
    if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
        raise FilterError(f'Sort direction must be "asc" or "desc", not {direction!r}')
    word = direction.upper()
    return f"{expression} {word}, request_created_at {word}, request_id {word}"

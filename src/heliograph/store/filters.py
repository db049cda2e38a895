"""Helicone's filter AST compiled to parameterized ClickHouse SQL over `request_response_rmt`.

A node is `"all"`, a branch `{"left", "operator": "and"|"or", "right"}`, or a leaf
`{table: {field: {operator: value}}}` (map fields such as `properties` add a key level).
Values are never spliced into the SQL text: every one becomes a typed query parameter.
Tenancy is not decided here; callers always AND the organization condition.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from heliograph.store.engine import StoreError
from heliograph.store.params import Params
from heliograph.store.scores import EFFECTIVE_SCORES

MAX_DEPTH = 64
MAX_LEAVES = 512
# Checked on the raw JSON before compiling: every operator's value counts as one condition,
# so one leaf cannot carry thousands of them into a query ClickHouse refuses.
MAX_CONDITIONS = 100  # the compiled SQL grows with each; 256 took ClickHouse ~5 s
MAX_ELEMENTS = 4096  # objects, keys and values of every kind together
_LEAF_LEVELS = 4  # table -> field -> map key -> operator, under the deepest branch
MAX_VALUE_CHARS = 10_000
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
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


OPERATORS: dict[str, frozenset[str]] = {
    "text": frozenset({"equals", "not-equals", "like", "ilike", "contains", "not-contains"}),
    "body": frozenset({"equals", "not-equals", "like", "ilike", "contains", "not-contains"}),
    "number": frozenset({"equals", "not-equals", "gte", "lte", "lt", "gt"}),
    "cost": frozenset({"equals", "not-equals", "gte", "lte", "lt", "gt"}),
    "timestamp": frozenset({"equals", "gte", "lte", "lt", "gt"}),
    "bool": frozenset({"equals"}),
    "uuid": frozenset({"equals", "not-equals"}),
    "list": frozenset({"equals", "not-equals", "like", "ilike", "contains", "not-contains"}),
}
_COMPARISON = {"equals": "=", "not-equals": "!=", "gte": ">=", "lte": "<=", "lt": "<", "gt": ">"}

_TOTAL_TOKENS = "(ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0))"
FEEDBACK_SCORE = "helicone-score-feedback"

RMT_FIELDS: dict[str, Field] = {
    "request_id": Field("request_id", "uuid"),
    "organization_id": Field("organization_id", "uuid"),
    "request_created_at": Field("request_created_at", "timestamp"),
    "response_created_at": Field("response_created_at", "timestamp", nullable=True),
    "status": Field("status", "number"),
    "latency": Field("latency", "number", nullable=True),
    "time_to_first_token": Field("time_to_first_token", "number", nullable=True),
    "model": Field("model", "text"),
    "provider": Field("provider", "text"),
    "user_id": Field("user_id", "text"),
    "country_code": Field("country_code", "text", nullable=True),
    "target_url": Field("target_url", "text", nullable=True),
    "prompt_id": Field("prompt_id", "text"),
    "prompt_version": Field("prompt_version", "text"),
    "request_referrer": Field("request_referrer", "text"),
    "prompt_tokens": Field("prompt_tokens", "number", nullable=True),
    "completion_tokens": Field("completion_tokens", "number", nullable=True),
    "prompt_cache_read_tokens": Field("prompt_cache_read_tokens", "number"),
    "prompt_cache_write_tokens": Field("prompt_cache_write_tokens", "number"),
    "prompt_audio_tokens": Field("prompt_audio_tokens", "number"),
    "completion_audio_tokens": Field("completion_audio_tokens", "number"),
    "reasoning_tokens": Field("reasoning_tokens", "number"),
    "total_tokens": Field(_TOTAL_TOKENS, "number"),
    "cost": Field("cost", "cost"),
    "threat": Field("threat", "bool", nullable=True),
    "cache_enabled": Field("cache_enabled", "bool"),
    "is_passthrough_billing": Field("is_passthrough_billing", "bool"),
    "cache_reference_id": Field("cache_reference_id", "uuid"),
    "request_body": Field("request_body", "body"),
    "response_body": Field("response_body", "body"),
    "size_bytes": Field("size_bytes", "number"),
    "gateway_router_id": Field("gateway_router_id", "text"),
    "storage_location": Field("storage_location", "text"),
    # -1 when unrated (a missing Map key reads 0): `equals: false` must not match unrated rows.
    FEEDBACK_SCORE: Field(
        f"if(mapContains(scores, '{FEEDBACK_SCORE}'), scores['{FEEDBACK_SCORE}'], -1)", "bool"
    ),
}

# Fields of Helicone's request_response_rmt filter leaf that are not plain columns here, nor
# sortable (so apart from RMT_FIELDS). A "list" field matches when one of its strings does
# (not-equals and not-contains: when none does).
EXTRA_RMT_FIELDS: dict[str, Field] = {
    # Helicone's legacy job columns: no Heliograph request belongs to a job or node.
    "node_id": Field("''", "text"),
    "job_id": Field("''", "text"),
    "assets": Field("assets", "list"),
    # The names of the request's scores, integer and fractional.
    "scores_column": Field(f"mapKeys({EFFECTIVE_SCORES})", "list"),
}

# Legacy (Postgres-era) tables of Helicone's filter language, mapped onto the same row.
LEGACY_FIELDS: dict[str, dict[str, str]] = {
    "request": {
        "id": "request_id",
        "created_at": "request_created_at",
        "user_id": "user_id",
        "model": "model",
        "prompt": "request_body",
        "path": "target_url",
        "country_code": "country_code",
        "prompt_id": "prompt_id",
    },
    "response": {
        "status": "status",
        "body_model": "model",
        "model": "model",
        "body_tokens": "total_tokens",
        "body_prompt_tokens": "prompt_tokens",
        "body_completion_tokens": "completion_tokens",
        "delay_ms": "latency",
        "latency": "latency",
        "time_to_first_token": "time_to_first_token",
        "created_at": "response_created_at",
        "completion": "response_body",
        "body": "response_body",
    },
    "feedback": {"rating": FEEDBACK_SCORE},
    "sessions_request_response_rmt": {
        "session_session_id": "properties:Helicone-Session-Id",
        "session_session_name": "properties:Helicone-Session-Name",
        "session_session_path": "properties:Helicone-Session-Path",
    },
}
MAP_TABLES = frozenset({"properties", "values"})  # top-level maps: both filter properties


def property_value(key_placeholder: str) -> str:
    """A property's value by key, the key matched case-insensitively; '' when absent."""
    return (
        f"if(mapContains(properties, {key_placeholder}), properties[{key_placeholder}], "
        f"arrayElement(mapValues(mapFilter((k, v) -> lower(k) = lower({key_placeholder}), "
        f"properties)), 1))"
    )


GroupFields = Mapping[str, Mapping[str, Field]]  # table -> field -> aggregate expression


@dataclass(frozen=True)
class _Side:
    """Which half of a grouped filter is being compiled."""

    group_fields: GroupFields
    having: bool


def check_size(node: Any) -> None:
    """FilterError unless `node` is within MAX_DEPTH, MAX_CONDITIONS and MAX_ELEMENTS.

    A walk with its own stack, not recursion: it must survive what it is meant to refuse.
    """
    stack: list[tuple[Any, int]] = [(node, 0)]
    conditions = elements = 0
    while stack:
        value, depth = stack.pop()
        elements += 1
        if depth > MAX_DEPTH + _LEAF_LEVELS:
            raise FilterError(f"Filter nested deeper than {MAX_DEPTH} levels")
        if elements > MAX_ELEMENTS:
            raise FilterError(f"Filter has more than {MAX_ELEMENTS} elements")
        if isinstance(value, dict):
            is_branch = "left" in value or "right" in value
            stack.extend(
                (child, depth + 1)
                for key, child in value.items()
                if not (is_branch and key == "operator")
            )
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
        elif depth > 0:
            conditions += 1
            if conditions > MAX_CONDITIONS:
                raise FilterError(f"Filter has more than {MAX_CONDITIONS} conditions")


def compile_filter(node: Any, params: Params) -> str:
    """SQL condition for a filter node; raises FilterError naming what is wrong."""
    check_size(node)
    counter = [0]
    return _node(node, params, 0, counter, None)


def compile_grouped_filter(node: Any, params: Params, group_fields: GroupFields) -> tuple[str, str]:
    """WHERE and HAVING conditions for a filter over grouped rows (sessions, users).

    `group_fields` names the leaves computed per group, e.g. `users_view.user_cost`, with
    the aggregate expression each stands for. As Helicone does, the tree is compiled twice:
    the WHERE half reads group leaves as true and the HAVING half reads row leaves as true,
    which is exact for the AND-trees the docs show.
    """
    check_size(node)
    where = _node(node, params, 0, [0], _Side(group_fields, having=False))
    having = _node(node, params, 0, [0], _Side(group_fields, having=True))
    return where, having


def _node(node: Any, params: Params, depth: int, leaves: list[int], side: _Side | None) -> str:
    if depth > MAX_DEPTH:
        raise FilterError(f"Filter nested deeper than {MAX_DEPTH} levels")
    if node == "all" or node == {}:
        return "1"
    if not isinstance(node, dict):
        raise FilterError(f'Filter node must be an object or "all", not {_show(node)}')
    if "operator" in node or "left" in node or "right" in node:
        operator = node.get("operator")
        if operator not in ("and", "or") or set(node) != {"left", "operator", "right"}:
            raise FilterError(
                'A filter branch needs exactly "left", "right" and "operator": "and" | "or"'
            )
        left = _node(node["left"], params, depth + 1, leaves, side)
        right = _node(node["right"], params, depth + 1, leaves, side)
        return f"({left} {operator.upper()} {right})"
    leaves[0] += 1
    if leaves[0] > MAX_LEAVES:
        raise FilterError(f"Filter has more than {MAX_LEAVES} conditions")
    return _and([_table(table, fields, params, side) for table, fields in node.items()])


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _table(table: str, fields: Any, params: Params, side: _Side | None = None) -> str:
    if not isinstance(fields, dict) or not fields:
        raise FilterError(f"Filter table {table!r} needs an object of fields")
    if side is not None:
        group = side.group_fields.get(table, {})
        if side.having:
            conditions = [
                _operators(group[name], f"{table}.{name}", ops, params)
                for name, ops in fields.items()
                if name in group
            ]
            return _and(conditions) if conditions else "1"
        fields = {name: ops for name, ops in fields.items() if name not in group}
        if not fields:
            return "1"
        if table in side.group_fields and table not in LEGACY_FIELDS:
            raise FilterError(f"Unknown filter field {table}.{next(iter(fields))}")
    if table in MAP_TABLES:
        return _map_leaf("properties", fields, params)
    if table in ("request_response_rmt", "request_response_log"):
        return _and([_rmt_field(name, ops, params) for name, ops in fields.items()])
    if table in LEGACY_FIELDS:
        mapping = LEGACY_FIELDS[table]
        parts = []
        for name, ops in fields.items():
            if name == "properties" and table == "request":
                parts.append(_map_leaf("properties", ops, params))
                continue
            if name not in mapping:
                raise FilterError(f"Unknown filter field {table}.{name}")
            target = mapping[name]
            if target.startswith("properties:"):
                parts.append(_map_leaf("properties", {target[11:]: ops}, params))
            else:
                parts.append(_rmt_field(target, ops, params))
        return _and(parts)
    raise FilterError(f"Unknown filter table {table!r}")


def _rmt_field(name: str, ops: Any, params: Params) -> str:
    if name in ("properties", "scores"):
        return _map_leaf(name, ops, params)
    if name == "search_properties":  # Helicone's name for a property filter in its search bar
        return _map_leaf("properties", ops, params)
    if name == "property_key":
        return _property_key(ops, params)
    if name == "cached":
        return _cached(ops, params)
    field = RMT_FIELDS.get(name) or EXTRA_RMT_FIELDS.get(name)
    if field is None:
        raise FilterError(f"Unknown filter field request_response_rmt.{name}")
    return _operators(field, name, ops, params)


def _operators(field: Field, name: str, ops: Any, params: Params) -> str:
    if not isinstance(ops, dict) or not ops:
        raise FilterError(f'Field {name!r} needs an object of operators, e.g. {{"equals": ...}}')
    return _and([_condition(field, name, op, value, params) for op, value in ops.items()])


def _condition(field: Field, name: str, op: str, value: Any, params: Params) -> str:
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
        return _text(col, op, _string(name, value), params)
    if kind == "list":
        negated = {"not-equals": "equals", "not-contains": "contains"}
        one = _text("element", negated.get(op, op), _string(name, value), params)
        found = f"arrayExists(element -> {one}, {col})"
        return f"NOT {found}" if op in negated else found
    if kind == "number":
        return f"{col} {_COMPARISON[op]} {params.add(number_value(name, value), 'Float64')}"
    if kind == "cost":  # stored as USD x 1e9
        # Beyond Int64 a bound compares like Int64's own: no cost comes near it.
        nano = int(max(-9.2e18, min(number_value(name, value) * 1_000_000_000, 9.2e18)))
        return f"{col} {_COMPARISON[op]} {params.add(nano, 'Int64')}"
    if kind == "timestamp":
        return f"{col} {_COMPARISON[op]} {params.add(_timestamp(name, value), TIMESTAMP)}"
    if kind == "bool":
        return f"{col} = {params.add(int(_bool(name, value)), 'UInt8')}"
    try:
        canonical = str(uuid.UUID(_string(name, value)))
    except ValueError:  # no row has a malformed id
        return "0" if op == "equals" else "1"
    return f"{col} {_COMPARISON[op]} {params.add(canonical, 'UUID')}"


def _text(col: str, op: str, value: str, params: Params) -> str:
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


def _map_leaf(column: str, keys: Any, params: Params) -> str:
    if not isinstance(keys, dict) or not keys:
        raise FilterError(f'{column} filter needs an object of keys, e.g. {{"Environment": ...}}')
    parts = []
    for key, ops in keys.items():
        if not isinstance(key, str) or not key or len(key) > 1000:
            raise FilterError(f"Invalid {column} key {_show(key)}")
        key_placeholder = params.add(key, "String")
        if column == "scores":  # integer and fractional scores alike (store/scores.py)
            field = Field(f"{EFFECTIVE_SCORES}[{key_placeholder}]", "number")
            condition = _operators(field, f"scores.{key}", ops, params)
            parts.append(f"(mapContains({EFFECTIVE_SCORES}, {key_placeholder}) AND {condition})")
            continue
        field = Field(property_value(key_placeholder), "text")
        condition = _operators(field, f"properties.{key}", ops, params)
        equals = ops.get("equals") if isinstance(ops, dict) else None
        if isinstance(equals, str) and equals and equals not in ("null", "__empty__"):
            # Lets the bloom-filter index on map values skip granules; exact, not case-folded.
            value_placeholder = params.add(equals, "String")
            condition = f"(has(mapValues(properties), {value_placeholder}) AND {condition})"
        parts.append(condition)
    return _and(parts)


def _property_key(ops: Any, params: Params) -> str:
    """Helicone's `property_key: {"equals": name}`: the request has that property (any case)."""
    if not isinstance(ops, dict) or set(ops) != {"equals"}:
        raise FilterError('Field "property_key" takes only {"equals": "<property name>"}')
    key = params.add(_string("property_key", ops["equals"]), "String")
    return f"arrayExists(k -> lower(k) = lower({key}), mapKeys(properties))"


def _cached(ops: Any, params: Params) -> str:
    if not isinstance(ops, dict) or set(ops) != {"equals"}:
        raise FilterError('Field "cached" takes only {"equals": true|false}')
    hit = _bool("cached", ops["equals"])
    return f"cache_reference_id {'!=' if hit else '='} {params.add(ZERO_UUID, 'UUID')}"


def _string(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FilterError(f"{name} needs a string value, not {_show(value)}")
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
    raise FilterError(f"{name} needs a number, not {_show(value)}")


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise FilterError(f"{name} needs true or false, not {_show(value)}")


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
    raise FilterError(f"Not a timestamp: {_show(value)} (use ISO 8601, e.g. 2024-01-01T00:00:00Z)")


def _timestamp(name: str, value: Any) -> str:
    try:
        moment = parse_timestamp(value)
    except FilterError as exc:
        raise FilterError(f"{name}: {exc.message}") from None
    # DateTime64 holds 1900..2299; no row lies outside, so clamping keeps every comparison.
    moment = max(EARLIEST, min(moment, LATEST))
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

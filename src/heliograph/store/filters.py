"""Helicone's filter AST compiled to parameterized ClickHouse SQL over `request_response_rmt`.

A node is `"all"`, a branch `{"left", "operator": "and"|"or", "right"}`, or a leaf
`{table: {field: {operator: value}}}` (map fields such as `properties` add a key level).
Values are never spliced into the SQL text: every one becomes a typed query parameter.
Callers always AND the organization condition; the subqueries of totals some tables read
(store/filter_tables.py) are scoped to the organization passed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heliograph.store.filter_conditions import (
    EARLIEST,
    LATEST,
    MAX_VALUE_CHARS,
    OPERATORS,
    TIMESTAMP,
    Field,
    FilterError,
    and_all,
    bool_value,
    number_value,
    operators,
    parse_timestamp,
    show,
    string_value,
)
from heliograph.store.filter_fields import (
    EXTRA_RMT_FIELDS,
    FEEDBACK_ID,
    FEEDBACK_SCORE,
    HAS_FEEDBACK,
    LEGACY_FIELDS,
    LEGACY_ONLY_FIELDS,
    MAP_TABLES,
    RMT_FIELDS,
    property_value,
)
from heliograph.store.filter_tables import OTHER_TABLES, ZERO_UUID, OrgReach
from heliograph.store.params import Params
from heliograph.store.scores import EFFECTIVE_SCORES

__all__ = [  # what other modules read here, wherever it is defined
    "EARLIEST",
    "EXTRA_RMT_FIELDS",
    "FEEDBACK_SCORE",
    "LATEST",
    "LEGACY_FIELDS",
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "MAX_VALUE_CHARS",
    "OPERATORS",
    "OTHER_TABLES",
    "RMT_FIELDS",
    "TIMESTAMP",
    "Field",
    "FilterError",
    "GroupFields",
    "check_size",
    "compile_filter",
    "compile_grouped_filter",
    "legacy_field",
    "number_value",
    "parse_timestamp",
    "property_value",
]

MAX_DEPTH = 64
MAX_LEAVES = 512
# Checked on the raw JSON before compiling: every operator's value counts as one condition,
# so one leaf cannot carry thousands of them into a query ClickHouse refuses.
MAX_CONDITIONS = 100  # the compiled SQL grows with each; 256 took ClickHouse ~5 s
MAX_ELEMENTS = 4096  # objects, keys and values of every kind together
_LEAF_LEVELS = 4  # table -> field -> map key -> operator, under the deepest branch

GroupFields = Mapping[str, Mapping[str, Field]]  # table -> field -> aggregate expression


def legacy_field(target: str) -> Field:
    """The field a legacy table's name stands for (a LEGACY_FIELDS value)."""
    return RMT_FIELDS.get(target) or EXTRA_RMT_FIELDS.get(target) or LEGACY_ONLY_FIELDS[target]


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


def compile_filter(node: Any, params: Params, organization_id: str | None = None) -> str:
    """SQL condition for a filter node; raises FilterError naming what is wrong.

    `organization_id` scopes the subqueries of totals (user_metrics, cache_metrics hits); a
    filter compiled without it (only checked) has them read no row.
    """
    check_size(node)
    return _Compile(OrgReach(params, organization_id), None).node(node, 0)


def compile_grouped_filter(
    node: Any, params: Params, group_fields: GroupFields, organization_id: str | None = None
) -> tuple[str, str]:
    """WHERE and HAVING conditions for a filter over grouped rows (sessions, users).

    `group_fields` names the leaves computed per group, e.g. `users_view.user_cost`, with
    the aggregate expression each stands for. As Helicone does, the tree is compiled twice:
    the WHERE half reads group leaves as true and the HAVING half reads row leaves as true,
    which is exact for the AND-trees the docs show.
    """
    check_size(node)
    reach = OrgReach(params, organization_id)
    where = _Compile(reach, _Side(group_fields, having=False)).node(node, 0)
    having = _Compile(reach, _Side(group_fields, having=True)).node(node, 0)
    return where, having


@dataclass
class _Compile:
    """One walk of a filter tree: where its parameters and subqueries go, which half."""

    reach: OrgReach
    side: _Side | None
    leaves: int = 0

    @property
    def params(self) -> Params:
        return self.reach.params

    def node(self, node: Any, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise FilterError(f"Filter nested deeper than {MAX_DEPTH} levels")
        if node == "all" or node == {}:
            return "1"
        if not isinstance(node, dict):
            raise FilterError(f'Filter node must be an object or "all", not {show(node)}')
        if "operator" in node or "left" in node or "right" in node:
            operator = node.get("operator")
            if operator not in ("and", "or") or set(node) != {"left", "operator", "right"}:
                raise FilterError(
                    'A filter branch needs exactly "left", "right" and "operator": "and" | "or"'
                )
            left = self.node(node["left"], depth + 1)
            right = self.node(node["right"], depth + 1)
            return f"({left} {operator.upper()} {right})"
        self.leaves += 1
        if self.leaves > MAX_LEAVES:
            raise FilterError(f"Filter has more than {MAX_LEAVES} conditions")
        return and_all([self.table(table, fields) for table, fields in node.items()])

    def table(self, table: str, fields: Any) -> str:
        if not isinstance(fields, dict) or not fields:
            raise FilterError(f"Filter table {table!r} needs an object of fields")
        if self.side is not None:
            group = self.side.group_fields.get(table, {})
            if self.side.having:
                conditions = [
                    operators(group[name], f"{table}.{name}", ops, self.params)
                    for name, ops in fields.items()
                    if name in group
                ]
                return and_all(conditions) if conditions else "1"
            fields = {name: ops for name, ops in fields.items() if name not in group}
            if not fields:
                return "1"
            if table in self.side.group_fields and table not in LEGACY_FIELDS:
                raise FilterError(f"Unknown filter field {table}.{next(iter(fields))}")
        if table in MAP_TABLES:
            return _map_leaf("properties", fields, self.params)
        if table in ("request_response_rmt", "request_response_log"):
            return and_all([_rmt_field(name, ops, self.params) for name, ops in fields.items()])
        if table in LEGACY_FIELDS:
            return and_all([_legacy(table, name, ops, self.params) for name, ops in fields.items()])
        if table in OTHER_TABLES:
            return OTHER_TABLES[table](fields, self.reach)
        raise FilterError(f"Unknown filter table {table!r}")


def _legacy(table: str, name: str, ops: Any, params: Params) -> str:
    if name == "properties" and table == "request":
        return _map_leaf("properties", ops, params)
    target = LEGACY_FIELDS[table].get(name)
    if target is None:
        raise FilterError(f"Unknown filter field {table}.{name}")
    if target.startswith("properties:"):
        return _map_leaf("properties", {target[11:]: ops}, params)
    if target == FEEDBACK_ID:
        return _feedback_id(ops)
    if target in LEGACY_ONLY_FIELDS:
        return operators(LEGACY_ONLY_FIELDS[target], f"{table}.{name}", ops, params)
    return _rmt_field(target, ops, params)


def _feedback_id(ops: Any) -> str:
    """Whether the request has a rating: Heliograph's ratings have no id to compare."""
    if not isinstance(ops, dict) or len(ops) != 1 or next(iter(ops.values())) != "null":
        raise FilterError(
            'feedback.id takes only {"equals": "null"} (no rating) or {"not-equals": "null"}: '
            "a rating has no id of its own in Heliograph (one per request)"
        )
    if "equals" in ops:
        return f"NOT {HAS_FEEDBACK}"
    if "not-equals" in ops:
        return HAS_FEEDBACK
    raise FilterError(f"Operator {next(iter(ops))!r} does not apply to feedback.id")


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
    return operators(field, name, ops, params)


def _map_leaf(column: str, keys: Any, params: Params) -> str:
    if not isinstance(keys, dict) or not keys:
        raise FilterError(f'{column} filter needs an object of keys, e.g. {{"Environment": ...}}')
    parts = []
    for key, ops in keys.items():
        if not isinstance(key, str) or not key or len(key) > 1000:
            raise FilterError(f"Invalid {column} key {show(key)}")
        key_placeholder = params.add(key, "String")
        if column == "scores":  # integer and fractional scores alike (store/scores.py)
            field = Field(f"{EFFECTIVE_SCORES}[{key_placeholder}]", "number")
            condition = operators(field, f"scores.{key}", ops, params)
            parts.append(f"(mapContains({EFFECTIVE_SCORES}, {key_placeholder}) AND {condition})")
            continue
        field = Field(property_value(key_placeholder), "text")
        condition = operators(field, f"properties.{key}", ops, params)
        equals = ops.get("equals") if isinstance(ops, dict) else None
        if isinstance(equals, str) and equals and equals not in ("null", "__empty__"):
            # Lets the bloom-filter index on map values skip granules; exact, not case-folded.
            value_placeholder = params.add(equals, "String")
            condition = f"(has(mapValues(properties), {value_placeholder}) AND {condition})"
        parts.append(condition)
    return and_all(parts)


def _property_key(ops: Any, params: Params) -> str:
    """Helicone's `property_key: {"equals": name}`: the request has that property (any case)."""
    if not isinstance(ops, dict) or set(ops) != {"equals"}:
        raise FilterError('Field "property_key" takes only {"equals": "<property name>"}')
    key = params.add(string_value("property_key", ops["equals"]), "String")
    return f"arrayExists(k -> lower(k) = lower({key}), mapKeys(properties))"


def _cached(ops: Any, params: Params) -> str:
    if not isinstance(ops, dict) or set(ops) != {"equals"}:
        raise FilterError('Field "cached" takes only {"equals": true|false}')
    hit = bool_value("cached", ops["equals"])
    return f"cache_reference_id {'!=' if hit else '='} {params.add(ZERO_UUID, 'UUID')}"

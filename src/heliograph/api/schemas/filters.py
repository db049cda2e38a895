"""JSON schemas of Helicone's filter AST, built from the tables `store/filters.py` compiles.

A node is `"all"`, a leaf `{table: {field: {operator: value}}}` (map fields such as
`properties` add a key level) or a branch `{"left": node, "operator": "and"|"or", "right":
node}`. The store validates filters itself (its messages name the bad table, field or value),
so filter fields are typed `Any` and documented by these schemas, one family per context:

- `RequestFilterNode`: requests, evals and dashboard series;
- `SessionFilterNode`: adds the per-session totals of `sessions_request_response_rmt`;
- `UserFilterNode`: adds the per-user `users_view` fields.

What JSON Schema cannot say: a filter nests at most 64 levels and holds at most 512 leaves,
100 conditions (operator values) and 4,096 JSON elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from heliograph.api.schemas.components import JsonSchema, component, ref
from heliograph.api.schemas.timestamps import TIMESTAMP
from heliograph.store.filter_tables import TABLE_FIELDS
from heliograph.store.filters import (
    EXTRA_RMT_FIELDS,
    LEGACY_FIELDS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_VALUE_CHARS,
    OPERATORS,
    RMT_FIELDS,
    GroupFields,
    legacy_field,
)
from heliograph.store.sessions import SESSION_GROUP_FIELDS
from heliograph.store.users import USER_GROUP_FIELDS

MAX_KEY_CHARS = 1000
# Numbers as strings, as float() reads them; bounded so that none overflows to infinity.
NUMERIC_STRING = "^[+-]?([0-9]{1,15}(\\.[0-9]{0,15})?|\\.[0-9]{1,15})([eE][+-]?[0-9]{1,2})?$"

_NULL: JsonSchema = {"const": "null", "description": '"null" matches a missing value'}
_TEXT_VALUE: JsonSchema = {
    "anyOf": [{"type": "string", "maxLength": MAX_VALUE_CHARS}, {"type": "number"}],
    "description": 'With "equals", "__empty__" matches an empty value and "null" a missing one',
}
# A backslash escapes the next character: ClickHouse refuses a pattern ending in a lone one.
LIKE_PATTERN = "^(?:[^\\\\]|\\\\[\\s\\S])*$"
_LIKE_VALUE: JsonSchema = {
    "anyOf": [
        {"type": "string", "maxLength": MAX_VALUE_CHARS, "pattern": LIKE_PATTERN},
        {"type": "number"},
    ],
    "description": "% matches any run of characters and _ one; a backslash escapes the next "
    "character, so a pattern does not end in a lone backslash",
}
_NUMBER_VALUE: JsonSchema = {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMERIC_STRING}]
}
_BOOLEAN_VALUE: JsonSchema = {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}]}


def _operators(values: Mapping[str, JsonSchema], description: str) -> JsonSchema:
    return {
        "type": "object",
        "properties": dict(values),
        "additionalProperties": False,
        "minProperties": 1,
        "description": description + "; several operators in one object must all hold",
    }


def _or_null(schema: JsonSchema) -> JsonSchema:
    return {"anyOf": [schema, _NULL]}


def _value_for(kind: str, operator: str) -> JsonSchema:
    if kind in ("text", "body", "uuid"):
        return _LIKE_VALUE if operator in ("like", "ilike") else _TEXT_VALUE
    if kind in ("number", "cost"):
        value = _NUMBER_VALUE
    elif kind == "timestamp":
        value = TIMESTAMP
    else:
        value = _BOOLEAN_VALUE
    return _or_null(value) if operator in ("equals", "not-equals") else value


_OPERATOR_COMPONENTS = {
    "text": ("TextOperators", "Text comparisons (contains/not-contains ignore case)"),
    "number": ("NumberOperators", "Numeric comparisons"),
    "timestamp": ("TimestampOperators", "Time comparisons"),
    "bool": ("BooleanOperators", "Boolean match"),
    "uuid": ("IdOperators", "Id match (a malformed id matches no request)"),
}
_KIND_COMPONENT = {"body": "TextOperators", "cost": "NumberOperators", "list": "TextOperators"}


def _operators_ref(kind: str) -> JsonSchema:
    return ref(_KIND_COMPONENT.get(kind) or _OPERATOR_COMPONENTS[kind][0])


def _operator_components() -> dict[str, JsonSchema]:
    found = {
        name: _operators({op: _value_for(kind, op) for op in sorted(OPERATORS[kind])}, description)
        for kind, (name, description) in _OPERATOR_COMPONENTS.items()
    }
    found["CachedOperators"] = {
        "type": "object",
        "properties": {"equals": _BOOLEAN_VALUE},
        "required": ["equals"],
        "additionalProperties": False,
        "description": "true: answered from the cache; false: not",
    }
    found["FeedbackIdOperators"] = {
        "type": "object",
        "properties": {"equals": _NULL, "not-equals": _NULL},
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "description": '"null": the request has no rating; not "null": it has one',
    }
    found["PropertyKeyOperators"] = {
        "type": "object",
        "properties": {"equals": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS}},
        "required": ["equals"],
        "additionalProperties": False,
        "description": "The request has a custom property of this name (any case)",
    }
    for name, operators, what in (
        ("PropertyFilter", "TextOperators", "custom property"),
        ("ScoreFilter", "NumberOperators", "score"),
    ):
        found[name] = {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": MAX_KEY_CHARS},
            "additionalProperties": ref(operators),
            "minProperties": 1,
            "description": f"{what.capitalize()} name -> operators on its value",
        }
    return found


def _fields(fields: Mapping[str, JsonSchema], description: str) -> JsonSchema:
    return {
        "type": "object",
        "properties": dict(fields),
        "additionalProperties": False,
        "minProperties": 1,
        "description": description,
    }


def _legacy_fields(table: str) -> dict[str, JsonSchema]:
    fields: dict[str, JsonSchema] = {}
    for name, target in LEGACY_FIELDS[table].items():
        if target.startswith("properties:"):
            fields[name] = ref("TextOperators")
        elif target == "feedback_id":
            fields[name] = ref("FeedbackIdOperators")
        else:
            fields[name] = _operators_ref(legacy_field(target).kind)
    if table == "request":
        fields["properties"] = ref("PropertyFilter")
    return fields


def _group_fields(group_fields: GroupFields, table: str) -> dict[str, JsonSchema]:
    return {name: _operators_ref(field.kind) for name, field in group_fields[table].items()}


def _table_components() -> dict[str, JsonSchema]:
    fields = {**RMT_FIELDS, **EXTRA_RMT_FIELDS}
    rmt = {name: _operators_ref(field.kind) for name, field in fields.items()}
    rmt |= {
        "properties": ref("PropertyFilter"),
        "search_properties": ref("PropertyFilter"),
        "property_key": ref("PropertyKeyOperators"),
        "scores": ref("ScoreFilter"),
        "cached": ref("CachedOperators"),
    }
    session_rows = _legacy_fields("sessions_request_response_rmt")
    others = {
        _OTHER_TABLES[table][0]: _fields(
            {name: _operators_ref(field.kind) for name, field in fields.items()},
            _OTHER_TABLES[table][1],
        )
        for table, fields in TABLE_FIELDS.items()
    }
    return others | {
        "RequestResponseRMTToOperators": _fields(rmt, "Columns of the logged request row"),
        "RequestTableToOperators": _fields(_legacy_fields("request"), "Legacy request table"),
        "ResponseTableToOperators": _fields(_legacy_fields("response"), "Legacy response table"),
        "FeedbackTableToOperators": _fields(_legacy_fields("feedback"), "Legacy feedback table"),
        "SessionsRequestResponseRMTRowToOperators": _fields(
            session_rows, "The session properties of a request"
        ),
        "SessionsRequestResponseRMTToOperators": _fields(
            session_rows | _group_fields(SESSION_GROUP_FIELDS, "sessions_request_response_rmt"),
            "Session properties of a request, and totals over the whole session",
        ),
        "UserViewToOperators": _fields(
            _group_fields(USER_GROUP_FIELDS, "users_view"), "Totals over each user's requests"
        ),
    }


# Helicone's tables with no counterpart here, read over request rows (store/filter_tables.py).
_OTHER_TABLES = {
    "user_metrics": ("UserMetricsToOperators", "Requests of users whose totals match"),
    "cache_metrics": (
        "CacheMetricsTableToOperators",
        "Cache hits; counts, savings and first/last hit are over all hits of the cached response",
    ),
    "rate_limit_log": ("RateLimitTableToOperators", "Requests refused for a rate limit"),
    "score_value": ("ScoreValueToOperators", "Requests with a score"),
    "properties_table": ("PropertiesTableToOperators", "Requests with a matching property"),
    "properties_v3": ("PropertiesV3ToOperators", "Requests with a matching property"),
    "organization_properties": (
        "OrganizationPropertiesToOperators",
        "Requests with a property of a matching name",
    ),
    "property_with_response_v1": (
        "PropertyWithResponseV1ToOperators",
        "Requests with a matching property",
    ),
}
_ROW_TABLES: dict[str, JsonSchema] = {
    "request_response_rmt": ref("RequestResponseRMTToOperators"),
    "request_response_log": ref("RequestResponseRMTToOperators"),
    "properties": ref("PropertyFilter"),
    "values": ref("PropertyFilter"),
    "request": ref("RequestTableToOperators"),
    "response": ref("ResponseTableToOperators"),
    "feedback": ref("FeedbackTableToOperators"),
    "sessions_request_response_rmt": ref("SessionsRequestResponseRMTRowToOperators"),
    **{table: ref(name) for table, (name, _) in _OTHER_TABLES.items()},
}
_CONTEXTS: dict[str, dict[str, JsonSchema]] = {
    "Request": _ROW_TABLES,
    "Session": _ROW_TABLES
    | {"sessions_request_response_rmt": ref("SessionsRequestResponseRMTToOperators")},
    "User": _ROW_TABLES | {"users_view": ref("UserViewToOperators")},
}


def _node_components(context: str, tables: dict[str, JsonSchema]) -> dict[str, JsonSchema]:
    node = f"{context}FilterNode"
    return {
        node: {
            "anyOf": [ref(f"{context}FilterLeaf"), ref(f"{context}FilterBranch"), {"const": "all"}],
            "description": f'"all", a leaf or a branch; at most {MAX_DEPTH} levels deep, '
            f"{MAX_LEAVES} leaves and {MAX_CONDITIONS} conditions",
        },
        f"{context}FilterLeaf": {
            "type": "object",
            "properties": tables,
            "additionalProperties": False,
            "description": "table -> field -> operator -> value; every condition must hold "
            "({} matches everything)",
        },
        f"{context}FilterBranch": filter_branch(node),
    }


def filter_branch(node: str) -> JsonSchema:
    """`{"left": node, "operator": "and"|"or", "right": node}` of the component `node`."""
    return {
        "type": "object",
        "properties": {
            "left": ref(node),
            "operator": {"enum": ["and", "or"]},
            "right": ref(node),
        },
        "required": ["left", "operator", "right"],
        "additionalProperties": False,
    }


def _components() -> dict[str, JsonSchema]:
    found = _operator_components() | _table_components()
    for context, tables in _CONTEXTS.items():
        found |= _node_components(context, tables)
    return found


COMPONENTS = _components()

RequestFilter = Annotated[Any, component("RequestFilterNode")]
SessionFilter = Annotated[Any, component("SessionFilterNode")]
UserFilter = Annotated[Any, component("UserFilterNode")]

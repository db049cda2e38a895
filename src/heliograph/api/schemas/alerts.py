"""Models of the alert endpoints: Helicone's `AlertRequest`, its alert and history rows.

Alert bodies are validated by `heliograph.alerts.definition` (Helicone's messages); the request
models here only document them. An alert's `filter` is the filter AST of
/v1/request/query-clickhouse or, as Helicone's dashboard saves it, a filter expression
(`{"type": "condition" | "and" | "or" | "all", ...}`) that becomes that AST.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.alerts.definition import (
    AGGREGATIONS,
    EMAIL_PATTERN,
    IGNORED_FIELDS,
    MAX_COUNT,
    MAX_NAME_CHARS,
    MAX_TARGETS,
    MAX_URL_CHARS,
    MAX_WINDOW_MS,
    METRICS,
    MIN_WINDOW_MS,
    NAME_PATTERN,
)
from heliograph.alerts.filters import MAX_DEPTH
from heliograph.api.schemas import filters
from heliograph.api.schemas.components import JsonSchema, component, model_components, ref
from heliograph.api.schemas.envelope import Answer, Number
from heliograph.store.filters import MAX_LEAVES, RMT_FIELDS

AlertFilter = Annotated[Any, component("AlertFilter")]
MAX_THRESHOLD = 1e308  # beyond, a number is no longer a finite float
# time_window as a string of digits: exactly the values from MIN_WINDOW_MS (30000) to
# MAX_WINDOW_MS (2592000000), leading zeros allowed (tests/alerts pin it to both bounds).
WINDOW_DIGITS = (
    "^0*([3-9][0-9]{4}|[1-9][0-9]{5,8}|1[0-9]{9}|2[0-4][0-9]{8}|25[0-8][0-9]{7}"
    "|259[01][0-9]{6}|2592000000)$"
)
WEBHOOK_URL_PATTERN = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[^\\s\\x00-\\x1f\\x7f]*)?$"
_ALIASES = {"equals": ["eq", "is"], "not-equals": ["neq"]}  # alerts/filters.py's _OPERATORS
_KIND_OPERATORS = {
    "text": "TextOperators",
    "body": "TextOperators",
    "number": "NumberOperators",
    "cost": "NumberOperators",
    "timestamp": "TimestampOperators",
    "bool": "BooleanOperators",
    "uuid": "IdOperators",
}
_RMT_TABLE: JsonSchema = {
    "anyOf": [{"enum": ["request_response_rmt", "request_response_log", ""]}, {"type": "null"}],
    "description": "Absent, empty or null: request_response_rmt",
}


def _condition_on(operators: str) -> JsonSchema:
    """`operator` and `value` as one operator of the named operators component takes them."""
    choices = []
    for operator, value in filters.COMPONENTS[operators]["properties"].items():
        names = [operator, *_ALIASES.get(operator, [])]
        choices.append({"properties": {"operator": {"enum": names}, "value": value}})
    return {"anyOf": choices}


def _column_conditions() -> list[JsonSchema]:
    """One choice per operators component: the request columns it applies to."""
    columns: dict[str, list[str]] = defaultdict(list)
    for name, field in RMT_FIELDS.items():
        columns[_KIND_OPERATORS[field.kind]].append(name)
    columns["CachedOperators"].append("cached")
    return [
        {
            "properties": {
                "field": {
                    "type": "object",
                    "properties": {
                        "column": {"enum": names},
                        "table": _RMT_TABLE,
                        "key": {"type": ["string", "null"]},
                        "subtype": {"not": {"enum": ["property", "score"]}},
                    },
                    "required": ["column"],
                }
            },
            "allOf": [_condition_on(operators)],
        }
        for operators, names in columns.items()
    ]


def _map_condition(subtype: str, operators: str) -> JsonSchema:
    return {
        "properties": {
            "field": {
                "type": "object",
                "properties": {
                    "subtype": {"const": subtype},
                    "valueMode": {"const": "value"},
                    "key": {"type": "string", "minLength": 1, "maxLength": 1000},
                    "column": {"type": "string", "minLength": 1},
                    "table": _RMT_TABLE,
                },
                "required": ["subtype", "valueMode", "key", "column"],
            }
        },
        "allOf": [_condition_on(operators)],
    }


def _expression_components() -> dict[str, JsonSchema]:
    return {
        "AlertFilter": {
            "anyOf": [ref("RequestFilterNode"), ref("FilterExpression"), {"type": "null"}],
            "description": "The filter AST of /v1/request/query-clickhouse, or Helicone's filter "
            "expression; null: every request",
        },
        "FilterExpression": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"type": {"const": "all"}},
                    "required": ["type"],
                },
                {
                    "type": "object",
                    "properties": {
                        "type": {"enum": ["and", "or"]},
                        "expressions": {"type": "array", "items": ref("FilterExpression")},
                    },
                    "required": ["type", "expressions"],
                },
                ref("FilterCondition"),
            ],
            "description": "Helicone's filter expression; an empty and/or matches every "
            f"request. As a filter AST it may nest at most {MAX_DEPTH} levels (a list of n "
            f"expressions nests n - 1) and hold at most {MAX_LEAVES} conditions",
        },
        "FilterCondition": {
            "type": "object",
            "properties": {
                "type": {"const": "condition"},
                "field": {"type": "object"},
                "operator": {"type": "string"},
                "value": {},
            },
            "required": ["type", "field", "operator", "value"],
            "anyOf": [
                *_column_conditions(),
                _map_condition("property", "TextOperators"),
                _map_condition("score", "NumberOperators"),
            ],
            "description": "One condition on a request column, or (subtype property or score, "
            'valueMode "value") on the custom property or score named by `key`; operators '
            "as in the filter AST, eq, neq and is also taken",
        },
    }


_NAME = Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=NAME_PATTERN)
_TIME_WINDOW = Field(
    description="Milliseconds, 30 seconds to 30 days; also taken as a string of digits, as "
    "Helicone's dashboard sends it",
    json_schema_extra={
        "anyOf": [
            {"type": "integer", "minimum": MIN_WINDOW_MS, "maximum": MAX_WINDOW_MS},
            {"type": "string", "pattern": WINDOW_DIGITS},
        ]
    },
)
Email = Annotated[str, Field(max_length=320, pattern=EMAIL_PATTERN)]
WebhookUrl = Annotated[str, Field(max_length=MAX_URL_CHARS, pattern=WEBHOOK_URL_PATTERN)]
_READ_ONLY: dict[str, Any] = {
    name: {"description": "Read-only: ignored when sent"} for name in sorted(IGNORED_FIELDS)
}
_NON_EMPTY: JsonSchema = {"type": "array", "minItems": 1}
_ALERT_RULES: list[JsonSchema] = [
    {
        "anyOf": [
            {"required": ["emails"], "properties": {"emails": _NON_EMPTY}},
            {"required": ["webhook_urls"], "properties": {"webhook_urls": _NON_EMPTY}},
        ]
    },
    {
        "if": {"required": ["metric"], "properties": {"metric": {"const": "response.status"}}},
        "then": {"properties": {"threshold": {"maximum": 100}}},
    },
    {
        "if": {"required": ["metric"], "properties": {"metric": {"const": "cost"}}},
        "then": {"properties": {"threshold": {"minimum": 0.01}}},
    },
]


def _alert_request_schema(schema: JsonSchema) -> None:
    schema["properties"] |= _READ_ONLY
    schema["allOf"] = _ALERT_RULES


def _alert_update_schema(schema: JsonSchema) -> None:
    """Every field optional, and no defaults: a field left out keeps its value."""
    schema["properties"] |= _READ_ONLY
    schema["allOf"] = _ALERT_RULES[1:]  # the threshold's bounds, when the metric is sent
    for field in schema["properties"].values():
        field.pop("default", None)


class _AlertFields(BaseModel):
    """What AlertRequest and AlertUpdate share; `time_window` is typed by its schema."""

    model_config = ConfigDict(extra="forbid")

    minimum_request_count: int | None = Field(None, ge=0, le=MAX_COUNT)
    aggregation: Literal[AGGREGATIONS] | None = None  # type: ignore[valid-type]
    percentile: float | None = Field(
        None, gt=0, le=100, description="With aggregation percentile (default 50)"
    )
    filter: AlertFilter = None
    emails: list[Email] | None = Field(None, max_length=MAX_TARGETS)
    webhook_urls: list[WebhookUrl] | None = Field(
        None, max_length=MAX_TARGETS, description="Heliograph: URLs POSTed a JSON event"
    )
    enabled: bool = Field(True, description="Heliograph: a disabled alert is not evaluated")
    slack_channels: list[str] | None = Field(None, max_length=0, description="Only empty")
    grouping: None = Field(None, description="Only null: grouped alerts are not supported")
    grouping_is_property: bool | None = None


class AlertRequest(_AlertFields):
    """Helicone's `AlertRequest`: the metric over the last `time_window`, compared with
    `threshold` (a percentage for response.status, USD for cost); at least one of emails
    and webhook_urls."""

    model_config = ConfigDict(json_schema_extra=_alert_request_schema)

    name: str = _NAME
    metric: Literal[METRICS] = Field(  # type: ignore[valid-type]
        description="response.status is the error rate"
    )
    threshold: float = Field(gt=0, le=MAX_THRESHOLD)
    time_window: Any = _TIME_WINDOW


class AlertUpdate(_AlertFields):
    """The fields to change; the others are kept, and the alert as changed must still be
    valid as a new one would be (e.g. keep a notification target)."""

    model_config = ConfigDict(json_schema_extra=_alert_update_schema)

    # The defaults only make the fields optional; the schema leaves them out.
    name: str = Field("", min_length=1, max_length=MAX_NAME_CHARS, pattern=NAME_PATTERN)
    metric: Literal[METRICS] = "cost"  # type: ignore[valid-type]
    threshold: float = Field(1, gt=0, le=MAX_THRESHOLD)
    time_window: Any = Field(
        None, description=_TIME_WINDOW.description, json_schema_extra=_TIME_WINDOW.json_schema_extra
    )


class Alert(Answer):
    """Helicone's alert row, plus Heliograph's webhook_urls, enabled and last_* fields."""

    id: str
    org_id: str
    name: str
    metric: Literal[METRICS]  # type: ignore[valid-type]
    threshold: Number
    time_window: int = Field(description="Milliseconds")
    time_block_duration: int
    minimum_request_count: int | None
    aggregation: Literal[AGGREGATIONS] | None  # type: ignore[valid-type]
    percentile: Number | None
    grouping: None
    grouping_is_property: None
    filter: Any = Field(description="As it was sent (AlertFilter)")
    emails: list[str]
    slack_channels: list[str]
    webhook_urls: list[str]
    enabled: bool
    status: Literal["triggered", "resolved", "broken"]
    soft_delete: bool
    last_evaluated_at: str | None
    last_value: Number | None
    last_request_count: int | None
    created_at: str
    updated_at: str


class WebhookNotification(Answer):
    channel: Literal["webhook"]
    target: str = Field(description="The URL without its path or query")
    event: Literal["triggered", "resolved"]
    ok: bool
    error: str | None
    at: str
    status: int | None = Field(description="The HTTP status answered, if any")


class EmailNotification(Answer):
    channel: Literal["email"]
    target: str
    event: Literal["triggered", "resolved"]
    ok: bool
    error: str | None
    at: str


Notification = Annotated[WebhookNotification | EmailNotification, Field(discriminator="channel")]


class AlertHistoryEntry(Answer):
    """Helicone's alert_history row (triggered_value as text), plus details."""

    id: str
    org_id: str
    alert_id: str
    alert_name: str
    alert_metric: str
    alert_start_time: str
    alert_end_time: str | None
    triggered_value: str
    status: Literal["triggered", "resolved", "broken"]
    soft_delete: bool
    threshold: Number
    value: Number
    request_count: int
    resolved_value: Number | None
    notifications: list[Notification]
    created_at: str
    updated_at: str


class AlertsAndHistory(Answer):
    alerts: list[Alert]
    history: list[AlertHistoryEntry] = Field(description="Newest first")


COMPONENTS: dict[str, JsonSchema] = _expression_components() | model_components(
    AlertRequest, AlertUpdate
)

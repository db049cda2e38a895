"""Helicone's other filter tables, read over Heliograph's request rows.

Helicone filters tables Heliograph has no counterpart of (Postgres `properties`, `feedback`,
`score_value`, ClickHouse `properties_v3`, `cache_metrics`, `user_metrics`, ...). A leaf on
one of them selects the requests it describes: a request with such a property, a cache hit,
a rate-limited request, a request of a user whose totals match. Totals over many requests
(a user's, a cached response's hits) come from a subquery over the organization's newest
rows, scoped to it here, so no other organization's rows are ever read; a filter holds at
most MAX_SUBQUERIES of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from heliograph.store.filter_conditions import Field, FilterError, and_all, operators
from heliograph.store.newest import newest_rows_sql
from heliograph.store.params import Params
from heliograph.store.scores import SCORED

MAX_SUBQUERIES = 8  # each reads all the organization's requests
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
CACHE_HIT = f"cache_reference_id != toUUID('{ZERO_UUID}')"
# Which API key logged the request: its id (GET /v1/api-keys), Heliograph keeps no key hash
# in a row; '' when a signed-in session logged it.
API_KEY = Field("ifNull(toString(proxy_key_id), '')", "text")

_DAYS = "count(DISTINCT toDate(request_created_at))"
_TOKENS = "(sum(ifNull(prompt_tokens, 0)) + sum(ifNull(completion_tokens, 0)))"
# A user's totals over their requests: Helicone's user_metrics, and users_view's `user_` fields.
USER_TOTALS: dict[str, Field] = {
    "active_for": Field(_DAYS, "number"),
    "first_active": Field("min(request_created_at)", "timestamp"),
    "last_active": Field("max(request_created_at)", "timestamp"),
    "total_requests": Field("count()", "number"),
    "average_requests_per_day_active": Field(f"count() / {_DAYS}", "number"),
    "average_tokens_per_request": Field(f"{_TOKENS} / count()", "number"),
    "total_completion_tokens": Field("sum(ifNull(completion_tokens, 0))", "number"),
    "total_prompt_tokens": Field("sum(ifNull(prompt_tokens, 0))", "number"),
    "cost": Field("sum(cost)", "cost"),
}
# The totals of all hits of one cached response (what Helicone's cache_metrics rows sum).
CACHE_TOTALS: dict[str, Field] = {
    "cache_hit_count": Field("count()", "number"),
    # Heliograph does not measure the time a hit saved, as its cache_metrics table records.
    "saved_latency_ms": Field("0", "number"),
    "saved_completion_tokens": Field("sum(ifNull(completion_tokens, 0))", "number"),
    "saved_prompt_tokens": Field("sum(ifNull(prompt_tokens, 0))", "number"),
    "saved_completion_audio_tokens": Field("sum(completion_audio_tokens)", "number"),
    "saved_prompt_audio_tokens": Field("sum(prompt_audio_tokens)", "number"),
    "saved_prompt_cache_write_tokens": Field("sum(prompt_cache_write_tokens)", "number"),
    "saved_prompt_cache_read_tokens": Field("sum(prompt_cache_read_tokens)", "number"),
    "first_hit": Field("min(request_created_at)", "timestamp"),
    "last_hit": Field("max(request_created_at)", "timestamp"),
}
_ORGANIZATION = Field("organization_id", "uuid")
# Fields of each table that are the hit's (or request's) own columns.
CACHE_ROW: dict[str, Field] = {
    "organization_id": _ORGANIZATION,
    "request_id": Field("cache_reference_id", "uuid"),  # the cached response's request
    "date": Field("toStartOfDay(request_created_at)", "timestamp"),
    "hour": Field("toHour(request_created_at)", "number"),
    "model": Field("model", "text"),
    "request_body": Field("request_body", "body"),
    "response_body": Field("response_body", "body"),
}
USER_ROW = {"user_id": Field("user_id", "text")}
RATE_LIMIT_ROW = {
    "organization_id": _ORGANIZATION,
    "created_at": Field("request_created_at", "timestamp"),
}
SCORE_VALUE_ROW = {"request_id": Field("request_id", "uuid")}
# Property tables: one row per (request, property); `key` and `value` name the pair's columns.
PROPERTY_TABLES: dict[str, dict[str, Field]] = {
    "properties_table": {"auth_hash": API_KEY},
    "properties_v3": {"organization_id": _ORGANIZATION},
    "organization_properties": {"organization_id": _ORGANIZATION},
    "property_with_response_v1": {
        "organization_id": _ORGANIZATION,
        "request_created_at": Field("request_created_at", "timestamp"),
        "threat": Field("threat", "bool", nullable=True),
    },
}
PROPERTY_PAIR_NAMES: dict[str, tuple[str, str]] = {
    "properties_table": ("key", "value"),
    "properties_v3": ("key", "value"),
    "organization_properties": ("property_key", ""),
    "property_with_response_v1": ("property_key", "property_value"),
}


@dataclass
class OrgReach:
    """The organization a filter's subqueries read, bound once in `params` when first used.

    Without an organization (a filter only checked, never run) they read no row at all.
    """

    params: Params
    organization_id: str | None
    subqueries: int = 0
    _placeholder: str | None = field(default=None, repr=False)

    def rows(self) -> str:
        """The organization's newest rows, to read FROM in a subquery."""
        self.subqueries += 1
        if self.subqueries > MAX_SUBQUERIES:
            raise FilterError(
                f"Filter has more than {MAX_SUBQUERIES} conditions on totals "
                "(user_metrics, cache_metrics hits)"
            )
        if self.organization_id is None:
            return "(SELECT * FROM request_response_rmt WHERE 0)"
        if self._placeholder is None:
            self._placeholder = self.params.add(self.organization_id, "UUID")
        return newest_rows_sql(self._placeholder)


def _split(table: str, fields: Any, *groups: Mapping[str, Field]) -> list[dict[str, Any]]:
    """`fields` sorted into one dict per group, FilterError on a field no group has."""
    if not isinstance(fields, dict) or not fields:
        raise FilterError(f"Filter table {table!r} needs an object of fields")
    found: list[dict[str, Any]] = [{} for _ in groups]
    for name, ops in fields.items():
        index = next((i for i, group in enumerate(groups) if name in group), None)
        if index is None:
            raise FilterError(f"Unknown filter field {table}.{name}")
        found[index][name] = ops
    return found


def _row_conditions(
    table: str, fields: Mapping[str, Any], row: Mapping[str, Field], params: Params
) -> list[str]:
    return [operators(row[name], f"{table}.{name}", ops, params) for name, ops in fields.items()]


def _totals(
    table: str, key: str, fields: Mapping[str, Any], totals: Mapping[str, Field], reach: OrgReach
) -> list[str]:
    """`key IN` the keys whose group of the organization's rows has matching totals."""
    if not fields:
        return []
    having = and_all(_row_conditions(table, fields, totals, reach.params))
    rows = reach.rows()
    group = "user_id != ''" if key == "user_id" else CACHE_HIT
    return [f"{key} IN (SELECT {key} FROM {rows} WHERE {group} GROUP BY {key} HAVING {having})"]


def user_metrics(fields: Any, reach: OrgReach) -> str:
    """Requests of the users whose totals (over all their requests) match."""
    own, totals = _split("user_metrics", fields, USER_ROW, USER_TOTALS)
    found = ["user_id != ''", *_row_conditions("user_metrics", own, USER_ROW, reach.params)]
    return and_all(found + _totals("user_metrics", "user_id", totals, USER_TOTALS, reach))


def cache_metrics(fields: Any, reach: OrgReach) -> str:
    """Cache hits; totals are over all hits of the same cached response."""
    own, totals = _split("cache_metrics", fields, CACHE_ROW, CACHE_TOTALS)
    found = [CACHE_HIT, *_row_conditions("cache_metrics", own, CACHE_ROW, reach.params)]
    found += _totals("cache_metrics", "cache_reference_id", totals, CACHE_TOTALS, reach)
    return and_all(found)


def rate_limit_log(fields: Any, reach: OrgReach) -> str:
    """Requests the gateway refused for a rate limit (what rate_limit_log records)."""
    (own,) = _split("rate_limit_log", fields, RATE_LIMIT_ROW)
    found = _row_conditions("rate_limit_log", own, RATE_LIMIT_ROW, reach.params)
    return and_all(["rate_limited", *found])


def score_value(fields: Any, reach: OrgReach) -> str:
    """Requests with at least one score."""
    (own,) = _split("score_value", fields, SCORE_VALUE_ROW)
    return and_all([SCORED, *_row_conditions("score_value", own, SCORE_VALUE_ROW, reach.params)])


def _property_table(table: str) -> Callable[[Any, OrgReach], str]:
    key_name, value_name = PROPERTY_PAIR_NAMES[table]
    pair = {key_name: Field("k", "text")}
    if value_name:
        pair[value_name] = Field("v", "text")

    def compile_leaf(fields: Any, reach: OrgReach) -> str:
        own, pair_fields = _split(table, fields, PROPERTY_TABLES[table], pair)
        found = _row_conditions(table, own, PROPERTY_TABLES[table], reach.params)
        if not pair_fields:  # a request without properties has no row in these tables
            return and_all(["notEmpty(properties)", *found])
        one = and_all(_row_conditions(table, pair_fields, pair, reach.params))
        pairs = f"arrayExists((k, v) -> {one}, mapKeys(properties), mapValues(properties))"
        return and_all([*found, pairs])

    compile_leaf.__doc__ = f"Requests with a property matching {table}'s pair of fields."
    return compile_leaf


OTHER_TABLES: dict[str, Callable[[Any, OrgReach], str]] = {
    "user_metrics": user_metrics,
    "cache_metrics": cache_metrics,
    "rate_limit_log": rate_limit_log,
    "score_value": score_value,
    **{table: _property_table(table) for table in PROPERTY_TABLES},
}

# Every field of each table, with its kind: what the API's JSON schemas document.
TABLE_FIELDS: dict[str, dict[str, Field]] = {
    "user_metrics": USER_ROW | USER_TOTALS,
    "cache_metrics": CACHE_ROW | CACHE_TOTALS,
    "rate_limit_log": RATE_LIMIT_ROW,
    "score_value": SCORE_VALUE_ROW,
    **{
        table: PROPERTY_TABLES[table]
        | {name: Field("", "text") for name in PROPERTY_PAIR_NAMES[table] if name}
        for table in PROPERTY_TABLES
    },
}

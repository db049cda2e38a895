"""Users: requests grouped by `user_id` (Helicone-User-Id, or the body's `user`).

Requests without a user id belong to no user and are left out everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filter_tables import USER_TOTALS
from heliograph.store.filters import (
    TIMESTAMP,
    Field,
    FilterError,
    GroupFields,
    compile_grouped_filter,
)
from heliograph.store.histograms import Grouped, PSize, histogram
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params

TABLE = "request_response_rmt"
USER_QUERY_LIMIT = 100  # Helicone's /v1/user/query answers at most this many users
_DAYS = "count(DISTINCT toDate(request_created_at))"

USER_GROUP_FIELDS: GroupFields = {
    "users_view": {
        "user_user_id": Field("user_id", "text"),
        **{f"user_{name}": field for name, field in USER_TOTALS.items()},
    }
}

# Aliases differ from column names: a ClickHouse alias is visible in the whole query.
_METRICS = (
    f"{_DAYS} AS days, min(request_created_at) AS first_at, max(request_created_at) AS last_at, "
    "count() AS requests, sum(ifNull(prompt_tokens, 0)) AS prompt, "
    "sum(ifNull(completion_tokens, 0)) AS completion, sum(cost) AS cost_nano, "
    "countIf(rate_limited) AS limited"
)
SORT_COLUMNS = {
    "id": "grp",
    "user_id": "grp",
    "active_for": "days",
    "first_active": "first_at",
    "last_active": "last_at",
    "total_requests": "requests",
    "average_requests_per_day_active": "requests / days",
    "average_tokens_per_request": "(prompt + completion) / requests",
    "total_prompt_tokens": "prompt",
    "total_completion_tokens": "completion",
    "cost": "cost_nano",
    "rate_limited_count": "limited",
}


@dataclass(frozen=True)
class TimeWindow:
    """Unix seconds, both ends optional."""

    start: float | None = None
    end: float | None = None


def _seconds_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _base_conditions(params: Params, window: TimeWindow, inclusive: bool) -> list[str]:
    conditions = ["user_id != ''"]
    after, before = (">=", "<=") if inclusive else (">", "<")
    if window.start is not None:
        start = params.add(_seconds_time(window.start), TIMESTAMP)
        conditions.append(f"request_created_at {after} {start}")
    if window.end is not None:
        conditions.append(
            f"request_created_at {before} {params.add(_seconds_time(window.end), TIMESTAMP)}"
        )
    return conditions


async def user_usage(
    engine: ClickHouseEngine,
    organization_id: str,
    user_ids: list[str] | None = None,
    window: TimeWindow = TimeWindow(),
) -> list[dict[str, Any]]:
    """Per user: requests, prompt/completion tokens and cost (USD); `/v1/user/query`."""
    params = Params()
    conditions = _base_conditions(params, window, inclusive=True)
    if user_ids:
        conditions.append(f"user_id IN {params.add(user_ids, 'Array(String)')}")
    source = await newest_rows(engine, organization_id, params, " AND ".join(conditions))
    rows = await engine.select(
        "SELECT user_id AS grp, count() AS requests, sum(ifNull(prompt_tokens, 0)) AS prompt, "
        "sum(ifNull(completion_tokens, 0)) AS completion, sum(cost) AS cost_nano "
        f"FROM {source} GROUP BY grp ORDER BY requests DESC, grp LIMIT {USER_QUERY_LIMIT}",
        params.values,
    )
    return [
        {
            "count": row["requests"],
            "prompt_tokens": row["prompt"],
            "completion_tokens": row["completion"],
            "user_id": row["grp"],
            "cost": row["cost_nano"] / 1_000_000_000,
        }
        for row in rows
    ]


def _iso(clickhouse_time: str, minus_minutes: float) -> str:
    """A stored UTC time as JavaScript's toISOString writes it, moved to local time."""
    moment = datetime.fromisoformat(clickhouse_time) - timedelta(minutes=minus_minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _user_metrics(row: dict[str, Any], timezone_minutes: float) -> dict[str, Any]:
    requests, days = row["requests"], row["days"]
    prompt, completion = row["prompt"], row["completion"]
    return {
        "id": row["grp"],
        "user_id": row["grp"],
        "active_for": days,
        "first_active": _iso(row["first_at"], timezone_minutes),
        "last_active": _iso(row["last_at"], timezone_minutes),
        "total_requests": requests,
        "average_requests_per_day_active": requests / days,
        "average_tokens_per_request": (prompt + completion) / requests,
        "total_completion_tokens": completion,
        "total_prompt_tokens": prompt,
        "cost": row["cost_nano"] / 1_000_000_000,
        "rate_limited_count": row["limited"],
    }


def _order(sort: dict[str, Any] | None) -> str:
    if not sort:
        return "last_at DESC, grp"
    if not isinstance(sort, dict):
        raise FilterError('sort must be an object such as {"last_active": "desc"}')
    key, direction = next(iter(sort.items()))
    column = SORT_COLUMNS.get(key)
    if column is None:
        raise FilterError(f"Cannot sort users by {key!r}; use one of " + ", ".join(SORT_COLUMNS))
    if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
        raise FilterError(f'Sort direction must be "asc" or "desc", not {direction!r}')
    return f"{column} {direction.upper()}, grp"


async def user_metrics(
    engine: ClickHouseEngine,
    organization_id: str,
    filter_node: Any,
    *,
    window: TimeWindow = TimeWindow(),
    sort: dict[str, Any] | None = None,
    offset: int = 0,
    limit: int = 100,
    timezone_minutes: float = 0,
) -> dict[str, Any]:
    """One page of `UserMetricsResult`s, how many users match, and whether any user exists."""
    params = Params()
    where, having = compile_grouped_filter(filter_node, params, USER_GROUP_FIELDS, organization_id)
    conditions = [*_base_conditions(params, window, inclusive=False), where]
    order = _order(sort)
    source = await newest_rows(engine, organization_id, params, " AND ".join(conditions))
    grouped = f"SELECT user_id AS grp, {_METRICS} FROM {source} GROUP BY grp HAVING {having}"
    rows = await engine.select(
        f"{grouped} ORDER BY {order} LIMIT {params.add(limit, 'UInt32')} "
        f"OFFSET {params.add(offset, 'UInt64')}",
        params.values,
    )
    count = await engine.select(f"SELECT count() AS n FROM ({grouped})", params.values)
    any_user = await engine.select(
        f"SELECT 1 AS found FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        "AND user_id != '' LIMIT 1",
        {"org": organization_id},
    )
    return {
        "users": [_user_metrics(row, timezone_minutes) for row in rows],
        "count": count[0]["n"],
        "hasUsers": bool(any_user),
    }


async def user_metrics_overview(
    engine: ClickHouseEngine,
    organization_id: str,
    filter_node: Any,
    p_size: PSize,
    interquartile: bool,
) -> dict[str, Any]:
    """Distributions of requests and cost (USD) per user."""
    params = Params()
    where, having = compile_grouped_filter(filter_node, params, USER_GROUP_FIELDS, organization_id)
    conditions = [*_base_conditions(params, TimeWindow(), True), where]
    source = await newest_rows(engine, organization_id, params, " AND ".join(conditions))
    grouped = Grouped(f"FROM {source}", "user_id", having, params)
    return {
        "request_count": await histogram(engine, grouped, "count()", p_size, interquartile),
        "user_cost": await histogram(engine, grouped, "sum(cost) / 1e9", p_size, interquartile),
    }

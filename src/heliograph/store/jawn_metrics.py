"""Helicone's named metrics (Jawn's `/v1/metrics/*`): one aggregate each, over a scope.

Each metric is a few fixed ClickHouse aggregates (no caller input in the SQL but bound
parameters) over the scope's newest rows (store/metrics.py's Scope: organization, filter
AST, half-open window). Aliases carry an `m_` prefix for the reason metrics_defs.py gives.
Over time, rows are grouped by bucket index (metrics_time.py), optionally by one more
column (model, status); the API fills the buckets without rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.metrics import Scope
from heliograph.store.metrics_time import Buckets
from heliograph.store.params import Params

NANO_USD = 1_000_000_000
ERROR = "(status < 200 OR status > 299)"  # docs/metrics.md: an error is a status outside 2xx
THREAT = "ifNull(threat, false)"
USER = "user_id != ''"
TTFT = "ifNull(time_to_first_token, 0) > 0"  # Helicone averages first-token times above 0
# Helicone leaves batch models out of latency: a batch answers hours later by design.
NOT_BATCH = "position(model, '-batch') = 0"

Columns = Mapping[str, str]  # alias without its m_ prefix -> aggregate SQL

TOTALS: dict[str, Columns] = {
    "totalRequests": {"value": "count()"},
    "totalCost": {"value": "sum(cost)"},
    "averageLatency": {"value": "ifNull(avgOrNull(latency), 0)"},
    "averageTimeToFirstToken": {
        "value": f"if(countIf({TTFT}) = 0, 0, avgIf(time_to_first_token, {TTFT}))"
    },
    "averageTokensPerRequest": {
        "requests": "count()",
        "prompt": "sum(ifNull(prompt_tokens, 0))",
        "completion": "sum(ifNull(completion_tokens, 0))",
    },
    "totalThreats": {"value": f"countIf({THREAT})"},
    "activeUsers": {"value": f"uniqExactIf(user_id, {USER})"},
}

SERIES: dict[str, Columns] = {
    "requestOverTime": {"count": "count()"},
    "costOverTime": {"cost": "sum(cost)"},
    "tokensOverTime": {
        "prompt_tokens": "sum(ifNull(prompt_tokens, 0))",
        "completion_tokens": "sum(ifNull(completion_tokens, 0))",
    },
    "detailedTokensOverTime": {
        "prompt_tokens": "sum(ifNull(prompt_tokens, 0))",
        "completion_tokens": "sum(ifNull(completion_tokens, 0))",
        "reasoning_tokens": "sum(reasoning_tokens)",
        "prompt_cache_read_tokens": "sum(prompt_cache_read_tokens)",
        "prompt_cache_write_tokens": "sum(prompt_cache_write_tokens)",
    },
    "latencyOverTime": {
        "duration": f"ifNull(avgOrNullIf(latency, {NOT_BATCH} AND latency IS NOT NULL), 0)"
    },
    "timeToFirstToken": {"ttft": f"if(countIf({TTFT}) = 0, 0, avgIf(time_to_first_token, {TTFT}))"},
    "usersOverTime": {"count": f"uniqExactIf(user_id, {USER})"},
    "threatsOverTime": {"count": f"countIf({THREAT})"},
    "errorOverTime": {"count": f"countIf({ERROR})"},
}
# Series per (bucket, group): only pairs with rows are returned.
GROUPED_SERIES: dict[str, tuple[str, Columns]] = {
    "modelUsageOverTime": (
        "model",
        {
            "request_count": "count()",
            "total_tokens": "sum(ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0))",
        },
    ),
    "requestStatusOverTime": ("status", {"count": "count()"}),
}
QUANTILE_LEVELS = (0.75, 0.9, 0.95, 0.99)
QUANTILE_VALUES = {
    "latency": "latency",
    "prompt_tokens": "prompt_tokens",
    "completion_tokens": "completion_tokens",
    "total_tokens": "ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0)",
}


def _select(columns: Columns) -> str:
    return ", ".join(f"{sql} AS m_{name}" for name, sql in columns.items())


def _unprefixed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name[2:]: value for name, value in row.items() if name.startswith("m_")}


async def aggregate(engine: ClickHouseEngine, scope: Scope, columns: Columns) -> dict[str, Any]:
    """The columns over the whole scope (one row: aggregates of no rows are 0)."""
    params = Params()
    rows = await engine.select(
        f"SELECT {_select(columns)} FROM {await scope.rows(engine, params)}", params.values
    )
    return _unprefixed(rows[0])


GroupSql = str | Callable[[Params], str]  # a column, or SQL needing bound parameters


async def per_bucket(
    engine: ClickHouseEngine,
    scope: Scope,
    buckets: Buckets,
    columns: Columns,
    group: GroupSql | None = None,
    where: str = "1",
) -> list[dict[str, Any]]:
    """The columns per bucket with rows (`index`), also per `group` value (`group`).

    `where` may name the group as `g_key` (ClickHouse lets WHERE see SELECT aliases).
    """
    params = Params()
    keys = "b_index" + (", g_key" if group else "")
    group_sql = f", {_sql(group, params)} AS g_key" if group else ""
    rows = await engine.select(
        f"SELECT {buckets.index_sql(params)} AS b_index{group_sql}, {_select(columns)} "
        f"FROM {await scope.rows(engine, params)} WHERE {where} GROUP BY {keys} ORDER BY {keys}",
        params.values,
    )
    found = []
    for row in rows:
        entry = {"index": int(row["b_index"]), **_unprefixed(row)}
        if group:
            entry["group"] = row["g_key"]
        found.append(entry)
    return found


def _sql(group: GroupSql, params: Params) -> str:
    return group if isinstance(group, str) else group(params)


def quantile_columns(metric: str) -> Columns:
    """Exact quantiles of one of QUANTILE_VALUES (`levels`, an array) and how many values
    there were (`n`): a bucket whose rows all lack the value has none, not a NaN."""
    levels = ", ".join(str(level) for level in QUANTILE_LEVELS)
    value = QUANTILE_VALUES[metric]
    return {
        "levels": f"quantilesExactIf({levels})(assumeNotNull({value}), {value} IS NOT NULL)",
        "n": f"count({value})",
    }


async def ranked_groups(
    engine: ClickHouseEngine,
    scope: Scope,
    group: str,
    columns: Columns,
    order_by: str,
    limit: int,
    offset: int,
    where: str = "1",
) -> list[dict[str, Any]]:
    """The columns per value of `group` (as `key`), ranked by `order_by` (an m_ alias)."""
    params = Params()
    rows = await engine.select(
        f"SELECT {group} AS g_key, {_select(columns)} "
        f"FROM {await scope.rows(engine, params)} WHERE {where} GROUP BY g_key "
        f"ORDER BY {order_by} DESC, g_key LIMIT {params.add(limit, 'UInt32')} "
        f"OFFSET {params.add(offset, 'UInt64')}",
        params.values,
    )
    return [{"key": row["g_key"], **_unprefixed(row)} for row in rows]

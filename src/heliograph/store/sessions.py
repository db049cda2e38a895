"""Sessions: requests grouped by their `Helicone-Session-Id` property, computed on the fly.

There is no session table (Helicone dropped its own): every answer is a GROUP BY over the
newest versions of an organization's rows in `request_response_rmt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import (
    TIMESTAMP,
    Field,
    GroupFields,
    compile_grouped_filter,
)
from heliograph.store.histograms import Grouped, PSize, average, histogram
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params
from heliograph.store.properties import update_properties

SESSION_ID_KEY = "Helicone-Session-Id"
SESSION_NAME_KEY = "Helicone-Session-Name"
SESSION_PATH_KEY = "Helicone-Session-Path"
FEEDBACK_KEY = "Helicone-Session-Feedback"  # Helicone keeps it on the session's first request
SESSION_ID = f"properties['{SESSION_ID_KEY}']"
SESSION_NAME = f"properties['{SESSION_NAME_KEY}']"
_TOKENS = "ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0)"

# `sessions_request_response_rmt` leaves that describe a whole session: they go to HAVING.
# (session_session_id / session_session_name are per-row properties, see filters.py.)
SESSION_GROUP_FIELDS: GroupFields = {
    "sessions_request_response_rmt": {
        "session_total_cost": Field("sum(cost)", "cost"),
        "session_total_tokens": Field(f"sum({_TOKENS})", "number"),
        "session_prompt_tokens": Field("sum(ifNull(prompt_tokens, 0))", "number"),
        "session_completion_tokens": Field("sum(ifNull(completion_tokens, 0))", "number"),
        "session_total_requests": Field("count()", "number"),
        "session_created_at": Field("min(request_created_at)", "timestamp"),
        "session_latest_request_created_at": Field("max(request_created_at)", "timestamp"),
    }
}

# Aliases differ from column names: a ClickHouse alias is visible in the whole query.
_SUMMARY = (
    "min(request_created_at) AS first_at, max(request_created_at) AS last_at, "
    f"argMinIf({SESSION_NAME}, request_created_at, {SESSION_NAME} != '') AS name, "
    "avg(latency) AS mean_latency, sum(cost) AS cost_nano, count() AS requests, "
    "sum(ifNull(prompt_tokens, 0)) AS prompt, sum(ifNull(completion_tokens, 0)) AS completion, "
    "groupUniqArrayIf(user_id, user_id != '') AS users"
)
DURATION = "dateDiff('second', min(request_created_at), max(request_created_at))"
COST_USD = "sum(cost) / 1e9"


@dataclass(frozen=True)
class SessionScope:
    """Which requests count: an organization's, narrowed by Helicone's session query fields."""

    organization_id: str
    filter: Any = "all"
    start_ms: float | None = None
    end_ms: float | None = None
    search: str = ""
    name_equals: str = ""
    name_contains: str = ""
    session_id: str | None = None


def _ms_time(ms: float) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


async def _grouped(engine: ClickHouseEngine, scope: SessionScope) -> Grouped:
    params = Params()
    where, having = compile_grouped_filter(
        scope.filter, params, SESSION_GROUP_FIELDS, scope.organization_id
    )
    conditions = [f"{SESSION_ID} != ''", where]
    if scope.session_id is not None:
        conditions.append(f"{SESSION_ID} = {params.add(scope.session_id, 'String')}")
    if scope.start_ms is not None:
        conditions.append(f"request_created_at > {params.add(_ms_time(scope.start_ms), TIMESTAMP)}")
    if scope.end_ms is not None:
        conditions.append(f"request_created_at < {params.add(_ms_time(scope.end_ms), TIMESTAMP)}")
    if scope.name_equals:
        conditions.append(f"{SESSION_NAME} = {params.add(scope.name_equals, 'String')}")
    if scope.name_contains:
        needle = params.add(scope.name_contains, "String")
        conditions.append(f"positionCaseInsensitiveUTF8({SESSION_NAME}, {needle}) > 0")
    if scope.search:
        needle = params.add(scope.search, "String")
        conditions.append(
            f"(positionCaseInsensitiveUTF8({SESSION_ID}, {needle}) > 0 "
            f"OR positionCaseInsensitiveUTF8({SESSION_NAME}, {needle}) > 0)"
        )
    source = await newest_rows(engine, scope.organization_id, params, " AND ".join(conditions))
    return Grouped(f"FROM {source}", SESSION_ID, having, params)


def shift(clickhouse_time: str, minutes: float) -> str:
    """A stored `YYYY-MM-DD HH:MM:SS.mmm` (UTC) moved by `minutes`, in the same format."""
    if not minutes:
        return clickhouse_time
    moment = datetime.fromisoformat(clickhouse_time) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _session_result(row: dict[str, Any], timezone_minutes: float) -> dict[str, Any]:
    prompt, completion = int(row["prompt"]), int(row["completion"])
    return {
        "created_at": shift(row["first_at"], timezone_minutes),
        "latest_request_created_at": shift(row["last_at"], timezone_minutes),
        "session_id": row["grp"],
        "session_name": row["name"],
        "total_cost": row["cost_nano"] / 1_000_000_000,
        "total_requests": row["requests"],
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "avg_latency": row["mean_latency"] or 0,
        "user_ids": sorted(row["users"]),
    }


async def query_sessions(
    engine: ClickHouseEngine,
    scope: SessionScope,
    *,
    timezone_minutes: float = 0,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Helicone's `SessionResult` rows, the most recently started session first."""
    grouped = await _grouped(engine, scope)
    params = grouped.params
    rows = await engine.select(
        f"SELECT {grouped.key} AS grp, {_SUMMARY} {grouped.source} "
        f"GROUP BY grp HAVING {grouped.having} ORDER BY first_at DESC, grp DESC "
        f"LIMIT {params.add(limit, 'UInt32')} OFFSET {params.add(offset, 'UInt64')}",
        params.values,
    )
    return [_session_result(row, timezone_minutes) for row in rows]


async def count_sessions(engine: ClickHouseEngine, scope: SessionScope) -> int:
    """How many sessions `query_sessions` would list over all its pages."""
    grouped = await _grouped(engine, scope)
    params = grouped.params
    rows = await engine.select(
        f"SELECT count() AS n FROM (SELECT {grouped.key} AS grp {grouped.source} "
        f"GROUP BY grp HAVING {grouped.having})",
        params.values,
    )
    return int(rows[0]["n"]) if rows else 0


async def session_names(
    engine: ClickHouseEngine, scope: SessionScope, *, timezone_minutes: float = 0, limit: int
) -> list[dict[str, Any]]:
    """Helicone's `SessionNameResult` per session name, the most recently used first.

    As in Helicone, a name's rows are its requests carrying that `Helicone-Session-Name`, and
    session leaves of the filter apply to the name's requests as a whole.
    """
    grouped = await _grouped(engine, scope)
    params = grouped.params
    rows = await engine.select(
        f"SELECT {SESSION_NAME} AS grp, min(request_created_at) AS first_at, "
        "max(request_created_at) AS last_at, avg(latency) AS mean_latency, "
        f"sum(cost) AS cost_nano, uniqExact({SESSION_ID}) AS sessions {grouped.source} "
        f"GROUP BY grp HAVING {grouped.having} ORDER BY last_at DESC, grp "
        f"LIMIT {params.add(limit, 'UInt32')}",
        params.values,
    )
    return [
        {
            "name": row["grp"],
            "created_at": shift(row["first_at"], timezone_minutes),
            "first_used": shift(row["first_at"], timezone_minutes),
            "last_used": shift(row["last_at"], timezone_minutes),
            "session_count": int(row["sessions"]),
            "avg_latency": row["mean_latency"] or 0,
            "total_cost": row["cost_nano"] / 1_000_000_000,
        }
        for row in rows
    ]


async def session_metrics(
    engine: ClickHouseEngine, scope: SessionScope, p_size: PSize, interquartile: bool
) -> dict[str, Any]:
    """Helicone's `SessionMetrics`: distributions and averages of size, duration and cost."""
    grouped = await _grouped(engine, scope)
    return {
        "session_count": await histogram(engine, grouped, "count()", p_size, interquartile),
        "session_duration": await histogram(engine, grouped, DURATION, p_size, interquartile),
        "session_cost": await histogram(engine, grouped, COST_USD, p_size, interquartile),
        "average": {
            "session_cost": await average(engine, grouped, COST_USD),
            "session_duration": await average(engine, grouped, DURATION),
            "session_count": await average(engine, grouped, "count()"),
        },
    }


async def get_session(
    engine: ClickHouseEngine, organization_id: str, session_id: str
) -> dict[str, Any] | None:
    """One session's `SessionResult`, or None when the organization has no such session."""
    scope = SessionScope(organization_id, session_id=session_id)
    found = await query_sessions(engine, scope, limit=1)
    return found[0] if found else None


async def session_requests(
    engine: ClickHouseEngine, organization_id: str, session_id: str, limit: int
) -> list[dict[str, Any]]:
    """A session's requests, oldest first, with what a session tree shows of each."""
    params = Params()
    where = f"{SESSION_ID} = {params.add(session_id, 'String')}"
    source = await newest_rows(engine, organization_id, params, where)
    return await engine.select(
        "SELECT toString(request_id) AS request_id, "
        f"properties['{SESSION_PATH_KEY}'] AS session_path, "
        f"properties['{FEEDBACK_KEY}'] AS rating, model, provider, user_id, status, latency, "
        f"cost, prompt_tokens, completion_tokens, request_created_at FROM {source} "
        f"ORDER BY request_created_at, request_id LIMIT {params.add(limit, 'UInt32')}",
        params.values,
    )


async def first_request_id(
    engine: ClickHouseEngine, organization_id: str, session_id: str
) -> str | None:
    params = Params()
    where = f"{SESSION_ID} = {params.add(session_id, 'String')}"
    source = await newest_rows(engine, organization_id, params, where)
    rows = await engine.select(
        f"SELECT toString(request_id) AS id FROM {source} "
        "ORDER BY request_created_at, request_id LIMIT 1",
        params.values,
    )
    return str(rows[0]["id"]) if rows else None


async def rate_session(
    engine: ClickHouseEngine, organization_id: str, session_id: str, rating: bool
) -> bool:
    """Store a session's rating as Helicone does: a property of its first request.

    False when the organization has no session with that id.
    """
    request_id = await first_request_id(engine, organization_id, session_id)
    if request_id is None:
        return False
    updates = {FEEDBACK_KEY: "1" if rating else "0"}
    return await update_properties(engine, organization_id, request_id, updates)

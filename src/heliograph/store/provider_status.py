"""Each provider's health from an organization's own traffic (Helicone's provider status).

Totals compare the last 24 hours with the 24 before, plus the last 10 minutes; the series
covers 24 hours, 7 or 30 days in 10-minute, 1-hour or 6-hour buckets. A provider error is
a 5xx answer or no answer at all (status 0): what says something of the provider, unlike
the caller's own 4xx. Latency per token is latency / completion tokens, over requests
with completion tokens. Changes are percentages of the previous period (0 without one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.metrics import Scope
from heliograph.store.metrics_time import Buckets, Window, sql_time
from heliograph.store.params import Params

PROVIDER_ERROR = "(status >= 500 OR status = 0)"
PER_TOKEN = "if(ifNull(completion_tokens, 0) > 0, latency / completion_tokens, NULL)"
DAY = timedelta(days=1)
RECENT = timedelta(minutes=10)
TIME_FRAMES = {  # span, bucket
    "24h": (timedelta(days=1), timedelta(minutes=10)),
    "7d": (timedelta(days=7), timedelta(hours=1)),
    "30d": (timedelta(days=30), timedelta(hours=6)),
}


def _period(params: Params, since: datetime, until: datetime) -> str:
    start = params.add(sql_time(since), "DateTime64(3, 'UTC')")
    end = params.add(sql_time(until), "DateTime64(3, 'UTC')")
    return f"request_created_at >= {start} AND request_created_at < {end}"


async def provider_totals(
    engine: ClickHouseEngine, organization_id: str, now: datetime
) -> dict[str, dict[str, Any]]:
    """Per provider (Helicone's name, as stored): counts and averages of three periods."""
    params = Params()
    periods = {
        "cur": _period(params, now - DAY, now),
        "prev": _period(params, now - 2 * DAY, now - DAY),
        "recent": _period(params, now - RECENT, now),
    }
    columns = []
    for name, where in periods.items():
        columns += [
            f"countIf({where}) AS {name}_n",
            f"countIf({where} AND {PROVIDER_ERROR}) AS {name}_errors",
            f"avgOrNullIf(latency, {where} AND latency IS NOT NULL) AS {name}_latency",
            f"avgOrNullIf({PER_TOKEN}, {where} AND {PER_TOKEN} IS NOT NULL) AS {name}_per_token",
        ]
    scope = Scope(organization_id, "all", Window(now - 2 * DAY, now))
    rows = await engine.select(
        f"SELECT provider AS g_key, {', '.join(columns)} "
        f"FROM {await scope.rows(engine, params)} GROUP BY g_key",
        params.values,
    )
    return {row["g_key"]: row for row in rows}


def frame_buckets(time_frame: str, now: datetime) -> Buckets:
    """The series' buckets: aligned to the bucket size in UTC, the last one holding `now`."""
    span, size = TIME_FRAMES[time_frame]
    step = int(size.total_seconds())
    first = int((now - span).timestamp()) // step * step
    count = int(now.timestamp()) // step * step // step - first // step + 1
    return Buckets(f"{step}s", step, first, count)


async def provider_series(
    engine: ClickHouseEngine, organization_id: str, provider: str, buckets: Buckets, now: datetime
) -> dict[int, dict[str, Any]]:
    """Per bucket index with requests: requests, provider errors, average latencies."""
    params = Params()
    window = Window(buckets.start_of(0), now)
    scope = Scope(
        organization_id, {"request_response_rmt": {"provider": {"equals": provider}}}, window
    )
    rows = await engine.select(
        f"SELECT {buckets.index_sql(params)} AS b_index, count() AS m_n, "
        f"countIf({PROVIDER_ERROR}) AS m_errors, avgOrNull(latency) AS m_latency, "
        f"avgOrNull({PER_TOKEN}) AS m_per_token "
        f"FROM {await scope.rows(engine, params)} GROUP BY b_index",
        params.values,
    )
    # Aliases carry m_: ClickHouse would read `AS latency` for the column inside PER_TOKEN.
    return {int(row["b_index"]): {k[2:]: v for k, v in row.items()} for row in rows}

"""Score analytics: scores over time, per-score summaries (evals) and score distributions.

Everything is computed from the newest version of each request (store/newest.py), within a
time window on `request_created_at`, for one organization, narrowed by a filter AST. Integer
and fractional scores (two maps, store/scores.py) are read together, as Float64 values.

Time buckets follow Helicone's dashboards: `timeZoneDifference` is the browser's
`Date.getTimezoneOffset()` (minutes to add to local time to reach UTC, e.g. 300 for New York
in winter, -330 for India), buckets start on the local clock (weeks on Monday) and are
reported as the UTC instant of their start, e.g. "2024-01-01T05:00:00.000Z".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from heliograph.errors import InvalidRequestError
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import (
    TIMESTAMP,
    FilterError,
    compile_filter,
    parse_timestamp,
)
from heliograph.store.metrics_time import MAX_TIMEZONE_MINUTES, sql_time
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params
from heliograph.store.scores import EFFECTIVE_SCORES, SCORED

T = TypeVar("T")
Increment = Literal["min", "hour", "day", "week", "month", "year"]
MAX_FILLED_BUCKETS = 10_000
HISTOGRAM_BINS = 10
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_TRUNCATE_SQL: dict[str, str] = {
    "min": "toStartOfMinute",
    "hour": "toStartOfHour",
    "day": "toStartOfDay",
    "week": "toMonday",
    "month": "toStartOfMonth",
    "year": "toStartOfYear",
}
_FIXED_STEP = {
    "min": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime
    timezone_minutes: int = 0


def time_window(start: Any, end: Any, timezone_difference: float = 0) -> TimeWindow:
    """A validated window: parseable timestamps, start not after end, offset within a day."""
    if not -MAX_TIMEZONE_MINUTES <= timezone_difference <= MAX_TIMEZONE_MINUTES:
        raise InvalidRequestError(
            f"Invalid timeZoneDifference: must be between -{MAX_TIMEZONE_MINUTES} and "
            f"{MAX_TIMEZONE_MINUTES} minutes"
        )
    window = TimeWindow(_instant(start), _instant(end), round(timezone_difference))
    if window.start > window.end:
        raise InvalidRequestError("Invalid timeFilter: start is after end")
    return window


def _instant(value: Any) -> datetime:
    """A timestamp clamped to what the store can hold ("1900-01-01" then means "from 1970")."""
    try:
        moment = parse_timestamp(value)
    except FilterError:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # Epoch milliseconds beyond datetime's range.
            raise InvalidRequestError(f"Invalid timeFilter: {value!r} is out of range") from None
        raise
    return min(max(moment, EARLIEST), LATEST)


def _truncate(moment: datetime, increment: str, tz_minutes: int) -> datetime:
    """Start (as a UTC instant) of the local-clock bucket holding `moment`."""
    local = moment.astimezone(UTC) - timedelta(minutes=tz_minutes)
    if increment == "min":
        local = local.replace(second=0, microsecond=0)
    elif increment == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if increment == "week":
            local -= timedelta(days=local.weekday())
        elif increment == "month":
            local = local.replace(day=1)
        elif increment == "year":
            local = local.replace(month=1, day=1)
    return local + timedelta(minutes=tz_minutes)


def _next_bucket(bucket: datetime, increment: str, tz_minutes: int) -> datetime:
    if increment in _FIXED_STEP:
        return bucket + _FIXED_STEP[increment]
    local = bucket - timedelta(minutes=tz_minutes)
    months = 12 if increment == "year" else 1
    year, month = divmod(local.month - 1 + months, 12)
    local = local.replace(year=local.year + year, month=month + 1)
    return local + timedelta(minutes=tz_minutes)


def bucket_starts(window: TimeWindow, increment: str) -> list[datetime]:
    """Every bucket from the one holding `start` to the one holding `end`, in order."""
    first = _truncate(window.start, increment, window.timezone_minutes)
    last = _truncate(window.end, increment, window.timezone_minutes)
    if increment in _FIXED_STEP and (last - first) / _FIXED_STEP[increment] >= MAX_FILLED_BUCKETS:
        raise InvalidRequestError(
            f"Invalid timeFilter: the window holds more than {MAX_FILLED_BUCKETS} "
            f"'{increment}' buckets; use a shorter window"
        )
    buckets = [first]
    while buckets[-1] < last:
        buckets.append(_next_bucket(buckets[-1], increment, window.timezone_minutes))
    return buckets


def iso(moment: datetime) -> str:
    """JavaScript's `toISOString()`: what Helicone returns as a bucket date."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


async def _scored_rows(
    engine: ClickHouseEngine,
    organization_id: str,
    window: TimeWindow,
    filter_node: Any,
    params: Params,
    end_included: bool = True,
) -> str:
    """Subquery: one row (created time, score name, Float64 value) per score of the newest
    versions of matching requests, integer and fractional scores alike."""
    before_end = "<=" if end_included else "<"
    conditions = [
        f"request_created_at >= {params.add(sql_time(window.start), TIMESTAMP)}",
        f"request_created_at {before_end} {params.add(sql_time(window.end), TIMESTAMP)}",
        SCORED,
        compile_filter(filter_node, params, organization_id),
    ]
    source = await newest_rows(engine, organization_id, params, " AND ".join(conditions))
    # Not aliased `scores`: ClickHouse would read the alias inside its own definition.
    return (
        f"(SELECT request_created_at, {EFFECTIVE_SCORES} AS all_scores FROM {source}) "
        "ARRAY JOIN mapKeys(all_scores) AS name, mapValues(all_scores) AS value"
    )


async def bucketed_score_stats(
    engine: ClickHouseEngine,
    organization_id: str,
    window: TimeWindow,
    increment: str,
    filter_node: Any,
) -> list[dict[str, Any]]:
    """Per (bucket, score name): bucket start, count, sum, min and max of the values."""
    params = Params()
    source = await _scored_rows(engine, organization_id, window, filter_node, params)
    tz = params.add(window.timezone_minutes, "Int32")
    local = f"toDateTime(request_created_at - toIntervalMinute({tz}), 'UTC')"
    bucket = (
        f"toInt64(toUnixTimestamp(toDateTime({_TRUNCATE_SQL[increment]}({local}), 'UTC'))) "
        f"+ {tz} * 60"
    )
    rows = await engine.select(
        f"SELECT {bucket} AS bucket, name, count() AS count, sum(value) AS total, "
        f"min(value) AS low, max(value) AS high FROM {source} "
        "GROUP BY bucket, name ORDER BY bucket, name",
        params.values,
    )
    for row in rows:
        row["bucket"] = datetime.fromtimestamp(row["bucket"], UTC)
    return rows


async def scores_over_time(
    engine: ClickHouseEngine,
    organization_id: str,
    window: TimeWindow,
    increment: str,
    filter_node: Any,
) -> list[dict[str, Any]]:
    """Helicone's dashboard series: per bucket and score, `score_sum` is the AVERAGE value.

    Jawn computes `avg(...) AS score_sum`; the name is kept for wire compatibility. Buckets
    without scores are left out (a filled row would have no score key to belong to).
    """
    rows = await bucketed_score_stats(engine, organization_id, window, increment, filter_node)
    return [
        {
            "created_at_trunc": iso(row["bucket"]),
            "score_key": row["name"],
            "score_sum": row["total"] / row["count"],
        }
        for row in rows
    ]


async def eval_summaries(
    engine: ClickHouseEngine,
    organization_id: str,
    names: list[str],
    window: TimeWindow,
    filter_node: Any,
) -> list[dict[str, Any]]:
    """Helicone's `Eval` per score name: totals in the window and hourly series (gaps are 0).

    Every name in `names` is reported, with zeros when it has no value in the window.
    """
    buckets = bucket_starts(window, "hour")
    rows = await bucketed_score_stats(engine, organization_id, window, "hour", filter_node)
    by_name: dict[str, dict[datetime, dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["name"], {})[row["bucket"]] = row
    evals = []
    for name in names:
        stats = by_name.get(name, {})
        count = sum(row["count"] for row in stats.values())
        total = sum(row["total"] for row in stats.values())
        evals.append(
            {
                "name": name,
                "averageScore": total / count if count else 0,
                "minScore": min((row["low"] for row in stats.values()), default=0),
                "maxScore": max((row["high"] for row in stats.values()), default=0),
                "count": count,
                "overTime": [
                    {"date": iso(bucket), "count": stats[bucket]["count"] if bucket in stats else 0}
                    for bucket in buckets
                ],
                "averageOverTime": [
                    {
                        "date": iso(bucket),
                        "value": (
                            stats[bucket]["total"] / stats[bucket]["count"]
                            if bucket in stats
                            else 0
                        ),
                    }
                    for bucket in buckets
                ],
            }
        )
    return evals


async def score_distributions(
    engine: ClickHouseEngine, organization_id: str, window: TimeWindow, filter_node: Any
) -> list[dict[str, Any]]:
    """Per score name, a histogram of equal-width bins from its minimum to its maximum.

    `value` is the number of scores in the bin (the last bin includes the maximum). A score
    whose values are all equal has one bin with lower == upper. Jawn uses ClickHouse's
    adaptive `histogram(10)`, whose bins are approximate; equal widths are exact. As in Jawn,
    the window's end is excluded here (the summaries and series include it).
    """
    params = Params()
    source = await _scored_rows(
        engine, organization_id, window, filter_node, params, end_included=False
    )
    bins = params.add(HISTOGRAM_BINS, "UInt32")
    rows = await engine.select(
        "SELECT name, low, high, "
        f"if(high = low, 0, least(toUInt32(floor((value - low) * {bins} "
        f"/ (high - low))), {bins} - 1)) AS bin, count() AS count "
        "FROM (SELECT name, value, min(value) OVER (PARTITION BY name) AS low, "
        f"max(value) OVER (PARTITION BY name) AS high FROM {source}) "
        "GROUP BY name, low, high, bin ORDER BY name, bin",
        params.values,
    )
    histograms: dict[str, dict[str, Any]] = {}
    for row in rows:
        low, high = row["low"], row["high"]
        histogram = histograms.get(row["name"])
        if histogram is None:
            width = (high - low) / HISTOGRAM_BINS
            count = 1 if high == low else HISTOGRAM_BINS
            histogram = {
                "name": row["name"],
                "distribution": [
                    {
                        "lower": low + i * width,
                        "upper": high if i == count - 1 else low + (i + 1) * width,
                        "value": 0,
                    }
                    for i in range(count)
                ],
            }
            histograms[row["name"]] = histogram
        histogram["distribution"][row["bin"]]["value"] = row["count"]
    return list(histograms.values())


def page(items: list[T], offset: int | None, limit: int | None) -> list[T]:
    """`offset`/`limit` of Helicone's EvalQueryParams applied to a list of per-score items."""
    start = offset or 0
    return items[start:] if limit is None else items[start : start + limit]

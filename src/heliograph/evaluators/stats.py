"""An evaluator's statistics (Helicone's `GET /v1/evaluator/{id}/stats`), from the scores it
wrote: every score of its score name on the organization's requests (newest versions).

The shape and buckets are Jawn's (EvaluatorManager.getEvaluatorStats): the average and count
of every score; `recentTrend` compares the average of the last 7 days with the 7 before
("stable" when either has no score); `scoreDistribution` counts scores in buckets 20 wide
("0-20", "20-40", ...), lowest first; `timeSeriesData` is the daily average (UTC dates) of
the last 30 days. A score written by hand under the same name counts too, as in Helicone.
"""

from __future__ import annotations

import math
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params
from heliograph.store.scores import EFFECTIVE_SCORES, SCORED

BUCKET_WIDTH = 20
TREND_DAYS = 7
SERIES_DAYS = 30


def empty_stats() -> dict[str, Any]:
    return {
        "averageScore": 0,
        "totalUses": 0,
        "recentTrend": "stable",
        "scoreDistribution": [],
        "timeSeriesData": [],
    }


async def _scores(engine: ClickHouseEngine, organization_id: str, name: str, params: Params) -> str:
    """Subquery: (request_created_at, value) of every request holding the score `name`."""
    placeholder = params.add(name, "String")
    where = f"{SCORED} AND mapContains({EFFECTIVE_SCORES}, {placeholder})"
    source = await newest_rows(engine, organization_id, params, where)
    return f"(SELECT request_created_at, {EFFECTIVE_SCORES}[{placeholder}] AS value FROM {source})"


def _trend(recent: float | None, previous: float | None) -> str:
    # The average of a week without scores comes back as nan, or null (JSON has no nan).
    if recent is None or previous is None or math.isnan(recent) or math.isnan(previous):
        return "stable"
    if recent == previous:
        return "stable"
    return "up" if recent > previous else "down"


def _number(value: float) -> int | float:
    """A whole average as an integer, as Jawn's JSON shows it."""
    return int(value) if float(value).is_integer() else float(value)


async def evaluator_stats(
    engine: ClickHouseEngine, organization_id: str, score_name: str
) -> dict[str, Any]:
    """The stats of the score `score_name` on the organization's requests."""
    params = Params()
    scores = await _scores(engine, organization_id, score_name, params)
    week = f"request_created_at >= now() - toIntervalDay({TREND_DAYS})"
    before = f"request_created_at >= now() - toIntervalDay({2 * TREND_DAYS}) AND NOT ({week})"
    totals = await engine.select(
        f"SELECT avg(value) AS average, count() AS uses, avgIf(value, {week}) AS recent, "
        f"avgIf(value, {before}) AS previous FROM {scores}",
        params.values,
    )
    if not totals or not totals[0]["uses"]:
        return empty_stats()
    distribution = await engine.select(
        f"SELECT toInt64(floor(value / {BUCKET_WIDTH})) AS bucket, count() AS count "
        f"FROM {scores} GROUP BY bucket ORDER BY bucket",
        params.values,
    )
    series = await engine.select(
        "SELECT toString(toDate(request_created_at, 'UTC')) AS date, avg(value) AS value "
        f"FROM {scores} WHERE request_created_at >= now() - toIntervalDay({SERIES_DAYS}) "
        "GROUP BY date ORDER BY date",
        params.values,
    )
    total = totals[0]
    return {
        "averageScore": _number(total["average"]),
        "totalUses": int(total["uses"]),
        "recentTrend": _trend(total["recent"], total["previous"]),
        "scoreDistribution": [
            {
                "range": f"{row['bucket'] * BUCKET_WIDTH}-{(row['bucket'] + 1) * BUCKET_WIDTH}",
                "count": int(row["count"]),
            }
            for row in distribution
        ],
        "timeSeriesData": [{"date": row["date"], "value": _number(row["value"])} for row in series],
    }

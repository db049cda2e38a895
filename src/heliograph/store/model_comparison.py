"""One model's numbers over an organization's last 30 days (Helicone's model comparison).

A model is a list of names (its versions) at one provider. Latency is normalised per 1,000
completion tokens (latency / completion_tokens x 1000, over requests with both); time to
first token over requests with one; feedback from the `helicone-score-feedback` score;
an error is a 5xx answer or none (store/provider_status.py). Statistics are exact
(quantilesExact); a statistic of no values is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import FEEDBACK_SCORE
from heliograph.store.metrics import Scope
from heliograph.store.metrics_time import Buckets, Window
from heliograph.store.params import Params
from heliograph.store.provider_status import PROVIDER_ERROR

SPAN = timedelta(days=30)
DAY = 86_400
LEVELS = "0.5, 0.9, 0.95, 0.99"
PER_1000 = (
    "if(ifNull(latency, 0) > 0 AND ifNull(completion_tokens, 0) > 0, "
    "latency / completion_tokens * 1000, NULL)"
)
TTFT = "if(ifNull(time_to_first_token, 0) > 0, time_to_first_token, NULL)"


def _stats(name: str, value: str) -> list[str]:
    return [
        f"avgOrNull({value}) AS m_{name}_avg",
        f"minOrNull({value}) AS m_{name}_min",
        f"maxOrNull({value}) AS m_{name}_max",
        f"quantilesExactIf({LEVELS})(assumeNotNull({value}), {value} IS NOT NULL) AS m_{name}_q",
        f"count({value}) AS m_{name}_n",
    ]


def _feedback(params: Params) -> tuple[str, str, str]:
    """SQL of: has feedback, positive, negative."""
    score = params.add(FEEDBACK_SCORE, "String")
    has = f"mapContains(scores, {score})"
    return has, f"{has} AND scores[{score}] = 1", f"{has} AND scores[{score}] = 0"


async def _source(
    engine: ClickHouseEngine, params: Params, organization_id: str, now: datetime
) -> str:
    return await Scope(organization_id, "all", Window(now - SPAN, now)).rows(engine, params)


def _chosen(params: Params, names: Sequence[str], provider: str) -> str:
    """The model's rows: one of its names, at its provider (any case)."""
    listed = params.add(list(names), "Array(String)")
    return f"has({listed}, model) AND upper(provider) = upper({params.add(provider, 'String')})"


async def model_summary(
    engine: ClickHouseEngine,
    organization_id: str,
    names: Sequence[str],
    provider: str,
    now: datetime,
) -> dict[str, Any]:
    """Counts and statistics over the 30 days (m_ aliases); `m_n` is 0 without requests."""
    params = Params()
    has, positive, negative = _feedback(params)
    columns = [
        "count() AS m_n",
        f"countIf({PROVIDER_ERROR}) AS m_errors",
        f"countIf({has}) AS m_feedback",
        f"countIf({positive}) AS m_positive",
        f"countIf({negative}) AS m_negative",
        *_stats("latency", PER_1000),
        *_stats("ttft", TTFT),
    ]
    source = await _source(engine, params, organization_id, now)
    rows = await engine.select(
        f"SELECT {', '.join(columns)} FROM {source} WHERE {_chosen(params, names, provider)}",
        params.values,
    )
    return rows[0]


async def by_country(
    engine: ClickHouseEngine,
    organization_id: str,
    names: Sequence[str],
    provider: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Median latency per 1,000 tokens and median TTFT per country code (null: none)."""
    params = Params()
    source = await _source(engine, params, organization_id, now)
    return await engine.select(
        "SELECT assumeNotNull(country_code) AS g_key, "
        f"quantileExactIf(0.5)(assumeNotNull({PER_1000}), {PER_1000} IS NOT NULL) AS m_latency, "
        f"count({PER_1000}) AS m_latency_n, "
        f"quantileExactIf(0.5)(assumeNotNull({TTFT}), {TTFT} IS NOT NULL) AS m_ttft, "
        f"count({TTFT}) AS m_ttft_n FROM {source} "
        f"WHERE {_chosen(params, names, provider)} "
        "AND ifNull(country_code, '') != '' GROUP BY g_key ORDER BY g_key",
        params.values,
    )


def day_buckets(now: datetime) -> Buckets:
    """The 31 UTC days from 30 days ago to today."""
    first = int((now - SPAN).timestamp()) // DAY * DAY
    return Buckets("day", DAY, first, int(now.timestamp()) // DAY - first // DAY + 1)


async def per_day(
    engine: ClickHouseEngine,
    organization_id: str,
    names: Sequence[str],
    provider: str,
    now: datetime,
    buckets: Buckets,
) -> dict[int, dict[str, Any]]:
    """Per day index with requests: medians, error and feedback counts."""
    params = Params()
    has, positive, negative = _feedback(params)
    source = await _source(engine, params, organization_id, now)
    rows = await engine.select(
        f"SELECT {buckets.index_sql(params)} AS b_index, count() AS m_n, "
        f"countIf({PROVIDER_ERROR}) AS m_errors, countIf({has}) AS m_feedback, "
        f"countIf({positive}) AS m_positive, countIf({negative}) AS m_negative, "
        f"quantileExactIf(0.5)(assumeNotNull({PER_1000}), {PER_1000} IS NOT NULL) AS m_latency, "
        f"quantileExactIf(0.5)(assumeNotNull({TTFT}), {TTFT} IS NOT NULL) AS m_ttft "
        f"FROM {source} WHERE {_chosen(params, names, provider)} GROUP BY b_index",
        params.values,
    )
    return {int(row["b_index"]): row for row in rows}

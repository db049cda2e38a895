"""The metrics API's dashboard queries, timed through the same store functions the API calls.

Cases: the 30-day totals, a 30-day cost-by-model chart (day buckets, one series per model;
as a chart asks, `total_cost` only, and again with every metric), a property group-by and
the top users by cost, each over the last 30 days of the measured organization (newest
versions, org-scoped, bound parameters: the real SQL).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.metrics import Grouping, Ranking, Scope, Series, breakdown, series, totals
from heliograph.store.metrics_defs import METRIC_NAMES
from heliograph.store.metrics_time import Buckets, Window

Case = Callable[[ChdbEngine, Scope], Awaitable[Any]]


async def _overview(engine: ChdbEngine, scope: Scope) -> Any:
    return await totals(engine, scope)


def _chart(names: tuple[str, ...]) -> Case:
    async def cost_by_model(engine: ChdbEngine, scope: Scope) -> Any:
        buckets = Buckets.plan(scope.window, "day", 0)
        ranking = Ranking("total_cost", True, 10)
        return await series(engine, scope, buckets, names, Grouping("model"), ranking)

    return cost_by_model


async def _property_group_by(engine: ChdbEngine, scope: Scope) -> Any:
    return await breakdown(
        engine, scope, Grouping("property", "Environment"), Ranking("total_cost", True, 10)
    )


async def _top_users(engine: ChdbEngine, scope: Scope) -> Any:
    return await breakdown(engine, scope, Grouping("user"), Ranking("total_cost", True, 10))


CASES: dict[str, Case] = {
    "metrics: overview 30d": _overview,
    "metrics: cost by model per day 30d": _chart(("total_cost",)),
    "metrics: same chart, all metrics": _chart(METRIC_NAMES),
    "metrics: by property Environment": _property_group_by,
    "metrics: top 10 users by cost": _top_users,
}


def _count(result: Any) -> int:
    """Rows of the answer: groups, buckets x (series + 1), or 1 for the totals."""
    if isinstance(result, Series):
        return len(result.totals) * (len(result.keys) + 1)
    if isinstance(result, tuple):  # (groups, group count)
        return len(result[0])
    return 1


async def time_metrics(engine: ChdbEngine, organization_id: str, repeats: int) -> dict[str, Any]:
    """P50/P99 per case over the last 30 days of one organization."""
    now = datetime.now(UTC)
    scope = Scope(
        organization_id, "all", Window(now - timedelta(days=30), now + timedelta(minutes=1))
    )
    results: dict[str, Any] = {}
    for name, case in CASES.items():
        await case(engine, scope)  # warm-up
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            found = await case(engine, scope)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 1),
            "rows_returned": _count(found),
        }
    return results


def growth(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    """P50 at the large size over P50 at the small one, per case."""
    return {
        name: round(large[name]["p50_ms"] / small[name]["p50_ms"], 2)
        for name in small
        if name in large and small[name]["p50_ms"] > 0
    }

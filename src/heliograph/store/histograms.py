"""Distributions of per-group metrics (requests per session, cost per user, ...).

Helicone's `HistogramRow` lists: group the rows, keep the groups whose metric lies under a
percentile (or between two, with `useInterquartile`), and let ClickHouse's adaptive
`histogram(10)` bin what is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.params import Params

PSize = Literal["p50", "p75", "p95", "p99", "p99.9"]
PERCENTILES: dict[str, float] = {"p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}
BINS = 10


@dataclass(frozen=True)
class Grouped:
    """A grouped query over the rows: `SELECT {key} AS grp, ... FROM ... WHERE ... GROUP BY`."""

    source: str  # FROM ... WHERE ... (no GROUP BY)
    key: str  # the grouping expression
    having: str
    params: Params

    def metric_sql(self, expression: str) -> str:
        return (
            f"SELECT {self.key} AS grp, {expression} AS metric {self.source} "
            f"GROUP BY grp HAVING {self.having}"
        )


def js_number(value: float) -> str:
    """A number as JavaScript's `toString` writes it (Helicone sends range bounds as text)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    if 1e-6 <= abs(value) < 1e21:  # JavaScript writes these without an exponent
        return format(Decimal(repr(value)), "f")
    mantissa, exponent = repr(value).split("e")
    return f"{mantissa}e{int(exponent):+d}"


async def histogram(
    engine: ClickHouseEngine,
    grouped: Grouped,
    expression: str,
    p_size: PSize = "p75",
    interquartile: bool = False,
) -> list[dict[str, Any]]:
    """`[{range_start, range_end, value}]` of one per-group metric, outliers cut off."""
    upper = PERCENTILES[p_size]
    lower = 1 - upper if interquartile else upper
    per_group = grouped.metric_sql(expression)
    keep = "metric BETWEEN low AND high" if interquartile else "metric <= high"
    rows = await engine.select(
        f"SELECT arrayJoin(histogram({BINS})(metric)) AS hist FROM ({per_group}) AS g "
        f"CROSS JOIN (SELECT quantile({lower})(metric) AS low, quantile({upper})(metric) AS high "
        f"FROM ({per_group})) AS bounds WHERE {keep}",
        grouped.params.values,
    )
    return [
        {"range_start": js_number(start), "range_end": js_number(end), "value": height}
        for start, end, height in (row["hist"] for row in rows)
    ]


async def average(
    engine: ClickHouseEngine, grouped: Grouped, expression: str
) -> list[dict[str, Any]]:
    """`[{average}]` of one per-group metric over all groups (null when there are none)."""
    rows = await engine.select(
        f"SELECT avg(metric) AS average FROM ({grouped.metric_sql(expression)})",
        grouped.params.values,
    )
    return [{"average": row["average"]} for row in rows]

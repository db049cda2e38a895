"""One custom property's values ranked by cost or by requests, the rest summed as "Other".

Helicone's `/v1/property/{key}/top-costs/query` and `/top-requests/query`: the top values
and, when more remain, one "Other" entry for them all. One query: the per-value totals
are summed over every value by a window function before LIMIT keeps the top ones.
The key is matched case-insensitively (filters.property_value); requests without the
property are left out.
"""

from __future__ import annotations

from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import property_value
from heliograph.store.metrics import Scope
from heliograph.store.params import Params

TOP_VALUES = 10  # as Jawn: the ten largest, then "Other"
OTHER = "Other"
MEASURES = {"cost": "sum(cost)", "count": "count()"}


async def top_values(
    engine: ClickHouseEngine, scope: Scope, key: str, measure: str
) -> list[dict[str, Any]]:
    """`[{"value", measure}]`, largest first (ties by value), raw units (nano-USD for cost)."""
    params = Params()
    value = property_value(params.add(key, "String"))
    rows = await engine.select(
        "SELECT g_key, m_value, sum(m_value) OVER () AS m_all FROM ("
        f"SELECT {value} AS g_key, {MEASURES[measure]} AS m_value "
        f"FROM {await scope.rows(engine, params)} WHERE g_key != '' GROUP BY g_key) "
        f"ORDER BY m_value DESC, g_key LIMIT {params.add(TOP_VALUES, 'UInt32')}",
        params.values,
    )
    top = [{"value": row["g_key"], measure: int(row["m_value"])} for row in rows]
    rest = int(rows[0]["m_all"]) - sum(entry[measure] for entry in top) if rows else 0
    if rest > 0:
        top.append({"value": OTHER, measure: rest})
    return top

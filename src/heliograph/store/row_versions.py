"""Changing a logged request: a new version row that ReplacingMergeTree keeps over the old.

Rows are never updated in place. A change (properties, scores, feedback) inserts a copy of
the newest version with some columns replaced, a later `updated_at` (the table's version
column) and `row_version` counted up. The copy is made inside ClickHouse, so concurrent
changes of different columns (serialized by the engine) never lose one another's.
Materialized views that count calls (rate limits, cache hits) read only `row_version = 0`,
the row as first logged, so a later change is not counted as another call.
"""

from __future__ import annotations

from typing import Any

from heliograph.store.engine import ClickHouseEngine

TABLE = "request_response_rmt"


async def write_new_version(
    engine: ClickHouseEngine,
    organization_id: str,
    request_id: str,
    replacements: str,
    params: dict[str, Any],
) -> None:
    """Copy the newest version of a request with `replacements` (`<expr> AS <column>, ...`)."""
    await engine.execute(
        f"INSERT INTO {TABLE} SELECT * REPLACE ({replacements}, "
        "greatest(now64(3, 'UTC'), updated_at + toIntervalMillisecond(1)) AS updated_at, "
        "row_version + 1 AS row_version) "
        # The newest version is picked in a subquery: in the outer SELECT, `updated_at`
        # would already mean the REPLACE expression, which ties for versions of one ms.
        f"FROM (SELECT * FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        "AND request_id = {id:UUID} ORDER BY updated_at DESC LIMIT 1)",
        {**params, "org": organization_id, "id": request_id},
    )

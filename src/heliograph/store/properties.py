"""Custom properties: updating them after the fact, and reading keys and values back."""

from __future__ import annotations

from typing import Any

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import TIMESTAMP, property_value
from heliograph.store.newest import NEWEST_FIRST, newest_rows
from heliograph.store.params import Params
from heliograph.store.row_versions import write_new_version

TABLE = "request_response_rmt"
# Keys Heliograph itself stores in `properties` (sessions, prompts): not custom properties.
RESERVED_PREFIX = "Helicone-"


async def current_properties(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> dict[str, str] | None:
    rows = await engine.select(
        f"SELECT properties FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        f"AND request_id = {{id:UUID}} {NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    return dict(rows[0]["properties"]) if rows else None


async def update_properties(
    engine: ClickHouseEngine, organization_id: str, request_id: str, updates: dict[str, str]
) -> bool:
    """Write a new version of the request with `updates` merged into its properties.

    A key that exists with other casing is updated in place rather than duplicated.
    """
    existing = await current_properties(engine, organization_id, request_id)
    if existing is None:
        return False
    by_lower = {key.lower(): key for key in existing}
    merged = {by_lower.get(key.lower(), key): value for key, value in updates.items()}
    await write_new_version(
        engine,
        organization_id,
        request_id,
        "mapUpdate(properties, CAST({updates:Map(String, String)}, "
        "'Map(LowCardinality(String), String)')) AS properties",
        {"updates": merged},
    )
    return True


async def property_keys(engine: ClickHouseEngine, organization_id: str) -> list[dict[str, Any]]:
    """Custom property keys of an organization, each listed once whatever its casing, with
    how many requests carry it.

    Names match case-insensitively (docs/querying.md), so `Environment` and `environment` are
    one property, listed under its canonical name: the casing most of its requests carry, the
    first in byte order on a tie. A request carrying two casings of a name counts once.
    """
    params = Params()
    source = await newest_rows(engine, organization_id, params)
    reserved = params.add(RESERVED_PREFIX, "String")
    # Per request, each key with whether it is the first of its case-folded name there.
    keys = f"arrayFilter(k -> NOT startsWith(k, {reserved}), mapKeys(properties))"
    pairs = "arrayZip(keys, arrayEnumerateUniq(arrayMap(k -> lower(k), keys)))"
    rows = await engine.select(
        "SELECT argMin(key, (-toInt64(uses), key)) AS property, sum(requests) AS count FROM ("
        "SELECT pair.1 AS key, count() AS uses, countIf(pair.2 = 1) AS requests FROM ("
        f"SELECT arrayJoin({pairs}) AS pair FROM (SELECT {keys} AS keys FROM {source})) "
        "GROUP BY key) GROUP BY lower(key) ORDER BY count DESC, property",
        params.values,
    )
    return [{"property": row["property"], "count": row["count"]} for row in rows]


async def property_values(
    engine: ClickHouseEngine, organization_id: str, key: str, search: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Values of one property (key matched case-insensitively) containing `search`."""
    params = Params()
    value = property_value(params.add(key, "String"))
    needle = params.add(search, "String")
    source = await newest_rows(engine, organization_id, params)
    rows = await engine.select(
        f"SELECT {value} AS value, count() AS count FROM {source} "
        f"WHERE value != '' AND positionCaseInsensitiveUTF8(value, {needle}) > 0 "
        f"GROUP BY value ORDER BY count DESC, value LIMIT {params.add(limit, 'UInt32')}",
        params.values,
    )
    return [{"property": key, "value": row["value"], "count": row["count"]} for row in rows]


async def property_metrics(
    engine: ClickHouseEngine,
    organization_id: str,
    key: str,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Per value of one property: requests, cost (USD), average latency, tokens."""
    params = Params()
    value = property_value(params.add(key, "String"))
    window = []
    if start:
        window.append(f"request_created_at >= {params.add(start, TIMESTAMP)}")
    if end:
        window.append(f"request_created_at <= {params.add(end, TIMESTAMP)}")
    source = await newest_rows(engine, organization_id, params, " AND ".join(window) or "1")
    rows = await engine.select(
        f"SELECT {value} AS value, count() AS requests, sum(cost) / 1e9 AS cost, "
        "avg(latency) AS average_latency, "
        "sum(ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0)) AS total_tokens "
        f"FROM {source} WHERE value != '' "
        f"GROUP BY value ORDER BY cost DESC, requests DESC LIMIT {params.add(limit, 'UInt32')}",
        params.values,
    )
    return rows

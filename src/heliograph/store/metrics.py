"""Aggregate metrics over an organization's requests: totals, per time bucket, per group.

Every query reads the newest version of each request (store/newest.py), is scoped to one
organization, ANDs the caller's filter AST (compiled by store/filters.py) with a half-open
time window, and computes only the aggregates the requested metrics need (metrics_defs.py):
each column is read from disk, so asking for less is faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import compile_filter, property_value
from heliograph.store.metrics_defs import (
    EMPTY_ROW,
    METRIC_NAMES,
    METRICS,
    aggregates_for,
    to_metrics,
)
from heliograph.store.metrics_time import Buckets, Window
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params

# A property's value (filters.property_value) falls back to a case-insensitive key match, a
# lambda that ClickHouse's default short-circuiting computes for every row, even when the key
# matched exactly: forcing it saves ~40 ms per 1M rows of a property group-by (bench/query).
SETTINGS = {"short_circuit_function_evaluation": "force_enable"}

GroupKind = Literal["model", "provider", "user", "status", "property"]
_GROUP_COLUMNS = {
    "model": "model",
    "provider": "provider",
    "user": "user_id",
    "status": "toString(status)",
}


@dataclass(frozen=True)
class Grouping:
    """What a breakdown groups by: a column, or one custom property (key case-insensitive)."""

    kind: GroupKind
    property: str | None = None

    def sql(self, params: Params) -> str:
        if self.kind == "property":
            assert self.property is not None
            return property_value(params.add(self.property, "String"))
        return _GROUP_COLUMNS[self.kind]


@dataclass(frozen=True)
class Scope:
    """Whose rows and which: organization, filter AST, time window."""

    organization_id: str
    filter: Any
    window: Window

    async def rows(self, engine: ClickHouseEngine, params: Params) -> str:
        """The FROM source: the newest versions of the scope's requests."""
        matching = compile_filter(self.filter, params, self.organization_id)
        where = f"{self.window.sql(params)} AND {matching}"
        return await newest_rows(engine, self.organization_id, params, where)


@dataclass(frozen=True)
class Ranking:
    """Which groups to keep: the top `limit` by one metric (ties: by key)."""

    sort_by: str = "request_count"
    descending: bool = True
    limit: int = 10

    def order_sql(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return f"{METRICS[self.sort_by].sort_sql} {direction}, g_key ASC"


def empty_metrics(names: Sequence[str] = METRIC_NAMES) -> dict[str, Any]:
    """The metrics of no requests: zero counts and sums, no percentiles."""
    return to_metrics(EMPTY_ROW, names)


def _plain(names: Sequence[str]) -> str:
    return ", ".join(a.plain() for a in aggregates_for(names))


async def totals(
    engine: ClickHouseEngine, scope: Scope, names: Sequence[str] = METRIC_NAMES
) -> dict[str, Any]:
    """The named metrics over the scope."""
    params = Params()
    rows = await engine.select(
        f"SELECT {_plain(names)} FROM {await scope.rows(engine, params)}",
        params.values,
        SETTINGS,
    )
    return to_metrics(rows[0], names) if rows else empty_metrics(names)


async def breakdown(
    engine: ClickHouseEngine,
    scope: Scope,
    grouping: Grouping,
    ranking: Ranking,
    names: Sequence[str] = METRIC_NAMES,
) -> tuple[list[dict[str, Any]], int]:
    """The top groups with their metrics (`key` first), and how many groups there are."""
    params = Params()
    key = grouping.sql(params)
    rows = await engine.select(
        f"SELECT {key} AS g_key, {_plain([*names, ranking.sort_by])}, "
        f"count() OVER () AS g_groups FROM {await scope.rows(engine, params)} "
        f"GROUP BY g_key ORDER BY {ranking.order_sql()} "
        f"LIMIT {params.add(ranking.limit, 'UInt32')}",
        params.values,
        SETTINGS,
    )
    group_count = int(rows[0]["g_groups"]) if rows else 0
    return [{"key": str(row["g_key"]), **to_metrics(row, names)} for row in rows], group_count


ByBucket = dict[int, dict[str, Any]]


@dataclass
class Series:
    """Per-bucket metrics (only buckets with rows); with a grouping, per top group too."""

    totals: ByBucket
    keys: list[str] = field(default_factory=list)  # the top groups, best first
    group_totals: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, ByBucket] = field(default_factory=dict)


async def series(
    engine: ClickHouseEngine,
    scope: Scope,
    buckets: Buckets,
    names: Sequence[str] = METRIC_NAMES,
    grouping: Grouping | None = None,
    ranking: Ranking | None = None,
) -> Series:
    """The named metrics per bucket; with a grouping, also for each of the top groups."""
    params = Params()
    index = buckets.index_sql(params)
    if grouping is None:
        rows = await engine.select(
            f"SELECT {index} AS b_index, {_plain(names)} "
            f"FROM {await scope.rows(engine, params)} GROUP BY b_index",
            params.values,
            SETTINGS,
        )
        return Series({int(row["b_index"]): to_metrics(row, names) for row in rows})
    keys = await _top_keys(engine, scope, grouping, ranking or Ranking())
    found = Series({}, keys, {}, {key: {} for key in keys})
    if not keys:
        return found
    # Rows are aggregated once into states per (bucket, group slot), slot = position of the
    # group among the top keys (0: any other group); the states are then merged per bucket,
    # per (bucket, slot) and per slot. GROUPING() tells those three sets apart: bit 1 set =
    # b_index merged away, bit 0 set = g_slot merged away.
    aggregates = aggregates_for(names)
    slot = f"indexOf({params.add(keys, 'Array(String)')}, {grouping.sql(params)})"
    rows = await engine.select(
        f"SELECT b_index, g_slot, GROUPING(b_index, g_slot) AS g_set, "
        f"{', '.join(a.merge() for a in aggregates)} FROM ("
        f"SELECT {index} AS b_index, {slot} AS g_slot, "
        f"{', '.join(a.state() for a in aggregates)} FROM {await scope.rows(engine, params)} "
        "GROUP BY b_index, g_slot) "
        "GROUP BY GROUPING SETS ((b_index), (b_index, g_slot), (g_slot))",
        params.values,
        SETTINGS,
    )
    for row in rows:
        metrics = to_metrics(row, names)
        g_set, b_index, g_slot = int(row["g_set"]), int(row["b_index"]), int(row["g_slot"])
        if g_set == 1:
            found.totals[b_index] = metrics
        elif g_slot > 0 and g_set == 0:
            found.groups[keys[g_slot - 1]][b_index] = metrics
        elif g_slot > 0:
            found.group_totals[keys[g_slot - 1]] = metrics
    return found


async def _top_keys(
    engine: ClickHouseEngine, scope: Scope, grouping: Grouping, ranking: Ranking
) -> list[str]:
    """The top groups' keys; computes only what the ranking needs."""
    params = Params()
    rows = await engine.select(
        f"SELECT {grouping.sql(params)} AS g_key, {_plain([ranking.sort_by])} "
        f"FROM {await scope.rows(engine, params)} GROUP BY g_key "
        f"ORDER BY {ranking.order_sql()} LIMIT {params.add(ranking.limit, 'UInt32')}",
        params.values,
        SETTINGS,
    )
    return [str(row["g_key"]) for row in rows]

"""REST: aggregate metrics for the dashboard (totals, over time, broken down by a dimension).

Bodies take the same filter AST as /v1/request/query-clickhouse plus a time window; the
request and response models here are what the OpenAPI document shows. docs/metrics.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, WithJsonSchema

from heliograph.api.fair_reads import Reader
from heliograph.api.metrics_models import (
    Breakdown,
    BucketMetrics,
    GroupMetrics,
    GroupSeries,
    Metrics,
    MetricsBreakdownResponse,
    MetricsOverTimeResponse,
    MetricsOverviewResponse,
    OverTime,
)
from heliograph.api.schemas.filters import RequestFilter
from heliograph.api.schemas.timestamps import ISO_TIMESTAMP
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError
from heliograph.meta.keys import Principal
from heliograph.store.filters import FilterError, compile_filter, parse_timestamp
from heliograph.store.metrics import (
    Grouping,
    Ranking,
    Scope,
    breakdown,
    empty_metrics,
    series,
    totals,
)
from heliograph.store.metrics_defs import METRIC_NAMES, MetricName
from heliograph.store.metrics_time import MAX_TIMEZONE_MINUTES, Buckets, Window
from heliograph.store.params import Params

router = APIRouter(tags=["Metrics"])

# Timestamps are clamped to what the store can hold: "from year 1" means "from 1970".
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # ClickHouse DateTime64 ends in 2299
MAX_SERIES_POINTS = 50_000  # buckets x (groups + 1) in one over-time answer


IsoTime = Annotated[str, WithJsonSchema(ISO_TIMESTAMP)]


def _one_of(iso: str, unix_ms: str) -> dict[str, Any]:
    """Exactly one of the two fields is given (not null)."""
    return {
        "oneOf": [
            {"required": [iso], "properties": {iso: {"type": "string"}}},
            {"required": [unix_ms], "properties": {unix_ms: {"type": "number"}}},
        ]
    }


class MetricsTimeFilter(BaseModel):
    """[start, end): ISO 8601 strings, or Helicone's `startTimeUnixMs` / `endTimeUnixMs`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "[start, end): each bound once, as ISO 8601 (start, end) or epoch "
            "milliseconds (startTimeUnixMs, endTimeUnixMs); end not before start",
            "allOf": [_one_of("start", "startTimeUnixMs"), _one_of("end", "endTimeUnixMs")],
        },
    )

    start: IsoTime | None = Field(None, examples=["2025-01-01T00:00:00Z"])
    end: IsoTime | None = Field(None, examples=["2025-01-31T00:00:00Z"])
    startTimeUnixMs: float | None = Field(None, allow_inf_nan=False)
    endTimeUnixMs: float | None = Field(None, allow_inf_nan=False)


class PropertyGroup(BaseModel):
    """Group by the value of one custom property (key matched case-insensitively)."""

    model_config = ConfigDict(extra="forbid")

    property: str = Field(min_length=1, max_length=1000, examples=["environment"])


GroupBy = Literal["model", "provider", "user", "status"] | PropertyGroup


class MetricsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: RequestFilter = Field(
        "all", description='The filter AST of /v1/request/query-clickhouse, or "all"'
    )
    timeFilter: MetricsTimeFilter
    metrics: list[MetricName] | None = Field(
        None,
        min_length=1,
        description="Only these metrics (all when left out); fewer is faster",
    )

    def metric_names(self) -> list[str]:
        if self.metrics is None:
            return list(METRIC_NAMES)
        return [name for name in METRIC_NAMES if name in self.metrics]


class Ranked(MetricsQuery):
    sortBy: MetricName = Field("request_count", description="The metric groups are ranked by")
    order: Literal["asc", "desc"] = "desc"


class OverTimeQuery(Ranked):
    """At most 5000 buckets, and with groupBy at most 50000 points (buckets x (limit + 1))."""

    increment: Literal["minute", "hour", "day", "min"] | None = Field(
        None,
        validation_alias=AliasChoices("increment", "dbIncrement"),
        description="Bucket size; automatic when left out (<= 2 h: minute, <= 7 d: hour, else day)",
    )
    timezoneDifference: int = Field(
        0,
        ge=-MAX_TIMEZONE_MINUTES,
        le=MAX_TIMEZONE_MINUTES,
        validation_alias=AliasChoices("timezoneDifference", "timeZoneDifference"),
        description="Minutes to subtract from UTC for local time (JavaScript's "
        "getTimezoneOffset()); buckets start at local minute/hour/midnight",
    )
    groupBy: GroupBy | None = Field(None, description="Also one series per top group")
    limit: int = Field(10, ge=1, le=50, description="Series for at most this many groups")


class BreakdownQuery(Ranked):
    groupBy: GroupBy
    limit: int = Field(10, ge=1, le=1000, description="Return the top `limit` groups")


def _moment(iso: str | None, unix_ms: float | None, name: str) -> datetime:
    if iso is not None and unix_ms is not None:
        raise InvalidRequestError(f"timeFilter: give {name} or {name}TimeUnixMs, not both")
    if iso is None and unix_ms is None:
        raise InvalidRequestError(
            f"timeFilter.{name}: required (ISO 8601), or timeFilter.{name}TimeUnixMs"
        )
    if unix_ms is not None:
        seconds = min(max(unix_ms / 1000, EARLIEST.timestamp()), LATEST.timestamp())
        return datetime.fromtimestamp(seconds, UTC)
    try:
        moment = parse_timestamp(iso)
    except FilterError as exc:
        raise InvalidRequestError(f"timeFilter.{name}: {exc.message}") from None
    except (OverflowError, ValueError):  # an offset pushing year 1 or 9999 out of range
        raise InvalidRequestError(f"timeFilter.{name}: out of range") from None
    return min(max(moment, EARLIEST), LATEST)


def window_of(time_filter: MetricsTimeFilter) -> Window:
    """The window a time filter names; InvalidRequestError when it names none."""
    return Window(
        _moment(time_filter.start, time_filter.startTimeUnixMs, "start"),
        _moment(time_filter.end, time_filter.endTimeUnixMs, "end"),
    )


def over_time_buckets(query: OverTimeQuery, window: Window) -> Buckets:
    """The buckets of an over-time answer; InvalidRequestError when there would be too many."""
    buckets = Buckets.plan(window, query.increment, query.timezoneDifference)
    if query.groupBy is not None and buckets.count * (query.limit + 1) > MAX_SERIES_POINTS:
        raise InvalidRequestError(
            f"limit: {query.limit} series of {buckets.count} buckets exceed "
            f"{MAX_SERIES_POINTS} points; lower limit, use a larger increment or a "
            "shorter time range"
        )
    return buckets


def _scope(caller: Principal, query: MetricsQuery) -> Scope:
    window = window_of(query.timeFilter)
    try:
        compile_filter(query.filter, Params())  # refuse a bad filter before any query
    except FilterError as exc:
        raise InvalidRequestError(f"filter: {exc.message}") from None
    return Scope(caller.organization_id, query.filter, window)


def _grouping(group_by: Any) -> Grouping:
    if isinstance(group_by, PropertyGroup):
        return Grouping("property", group_by.property)
    return Grouping(group_by)


def _ranking(query: OverTimeQuery | BreakdownQuery) -> Ranking:
    return Ranking(query.sortBy, query.order == "desc", query.limit)


def _engine(request: Request) -> Any:
    return services_of(request).engine


@router.post("/v1/metrics/overview", response_model_exclude_unset=True)
async def metrics_overview(
    request: Request, caller: Reader, query: MetricsQuery
) -> MetricsOverviewResponse:
    """Totals over the window: requests, errors, cost, tokens, latency, cache, users."""
    data = await totals(_engine(request), _scope(caller, query), query.metric_names())
    return MetricsOverviewResponse(data=Metrics(**data), error=None)


@router.post("/v1/metrics/over-time", response_model_exclude_unset=True)
async def metrics_over_time(
    request: Request, caller: Reader, query: OverTimeQuery
) -> MetricsOverTimeResponse:
    """The same metrics per time bucket, every bucket present; per top group with `groupBy`."""
    scope = _scope(caller, query)
    buckets = over_time_buckets(query, scope.window)
    grouping = _grouping(query.groupBy) if query.groupBy is not None else None
    names = query.metric_names()
    found = await series(_engine(request), scope, buckets, names, grouping, _ranking(query))
    empty = empty_metrics(names)

    def dense(by_index: dict[int, dict[str, Any]]) -> list[BucketMetrics]:
        return [
            BucketMetrics(time=buckets.start_of(i), **by_index.get(i, empty))
            for i in range(buckets.count)
        ]

    groups = [
        GroupSeries(
            key=key,
            totals=Metrics(**found.group_totals.get(key, empty)),
            buckets=dense(found.groups[key]),
        )
        for key in found.keys
    ]
    return MetricsOverTimeResponse(
        data=OverTime(
            increment=buckets.increment,  # type: ignore[arg-type]
            timezoneDifference=query.timezoneDifference,
            buckets=dense(found.totals),
            groups=groups,
        ),
        error=None,
    )


@router.post("/v1/metrics/breakdown", response_model_exclude_unset=True)
async def metrics_breakdown(
    request: Request, caller: Reader, query: BreakdownQuery
) -> MetricsBreakdownResponse:
    """The metrics per model, provider, user, status or property value; the top `limit`."""
    groups, count = await breakdown(
        _engine(request),
        _scope(caller, query),
        _grouping(query.groupBy),
        _ranking(query),
        query.metric_names(),
    )
    return MetricsBreakdownResponse(
        data=Breakdown(groups=[GroupMetrics(**group) for group in groups], group_count=count),
        error=None,
    )

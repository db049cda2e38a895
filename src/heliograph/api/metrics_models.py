"""Response models of the metrics endpoints (api/metrics.py), as the OpenAPI document shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Metrics(BaseModel):
    """Aggregates over a set of requests. Costs in USD, rates as fractions, times in ms.
    A percentile is null when no request has the value (no rows, or no streams for TTFT).
    With `metrics` in the request only those fields are present."""

    request_count: int = Field(0, description="Requests logged")
    error_count: int = Field(0, description="Requests whose status is not 2xx (0: no response)")
    error_rate: float = Field(0.0, description="error_count / request_count (0 without requests)")
    total_cost: float = Field(0.0, description="Sum of the requests' cost, USD")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = Field(0, description="prompt_tokens + completion_tokens")
    latency_p50: float | None = Field(None, description="Median request latency, ms")
    latency_p90: float | None = None
    latency_p99: float | None = None
    ttft_p50: float | None = Field(None, description="Median time to first token of streams, ms")
    ttft_p90: float | None = None
    ttft_p99: float | None = None
    cache_hits: int = Field(0, description="Requests answered from the response cache")
    cache_hit_rate: float = Field(0.0, description="cache_hits / request_count")
    cache_savings: float = Field(0.0, description="What the cache hits would have cost, USD")
    distinct_users: int = Field(0, description="Distinct Helicone-User-Id values (non-empty)")
    rate_limited_count: int = Field(0, description="Requests refused by a rate limit policy")


class _Time(BaseModel):
    time: datetime = Field(description="Start of the bucket (UTC)")


class _Key(BaseModel):
    key: str = Field(
        description='The group: model, provider, user id, status or property value ("" = none)'
    )


# Base order puts `time` / `key` before the metrics in the JSON.
class BucketMetrics(Metrics, _Time):
    pass


class GroupMetrics(Metrics, _Key):
    pass


class GroupSeries(_Key):
    totals: Metrics = Field(description="The group's metrics over the whole window")
    buckets: list[BucketMetrics]


class OverTime(BaseModel):
    increment: Literal["minute", "hour", "day"]
    timezoneDifference: int
    buckets: list[BucketMetrics] = Field(description="Every bucket of the window, in order")
    groups: list[GroupSeries] = Field(description="With groupBy: the top groups' series")


class Breakdown(BaseModel):
    groups: list[GroupMetrics] = Field(description="The top groups, in the order asked for")
    group_count: int = Field(description="How many groups there are in all")


class MetricsOverviewResponse(BaseModel):
    data: Metrics
    error: None = None


class MetricsOverTimeResponse(BaseModel):
    data: OverTime
    error: None = None


class MetricsBreakdownResponse(BaseModel):
    data: Breakdown
    error: None = None

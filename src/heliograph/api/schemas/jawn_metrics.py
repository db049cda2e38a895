"""Bodies and answers of Helicone's named metrics (`/v1/metrics/totalRequests`, ...).

The bodies are Jawn's (`MetricsFilterBody`, `MetricsOverTimeBody`, ...): a filter AST, a
time filter and, over time, `dbIncrement` and `timeZoneDifference`. Unknown fields are
refused, except those Helicone's dashboard sends along and Jawn ignores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from heliograph.api.metrics import MetricsTimeFilter
from heliograph.api.schemas.envelope import Answer, Number
from heliograph.api.schemas.filters import RequestFilter
from heliograph.store.metrics_time import MAX_TIMEZONE_MINUTES

MAX_OFFSET = 1_000_000
MAX_GROUPS = 10_000  # Jawn clamps `limit` of /models and /country to this


class MetricsFilterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: RequestFilter = Field(
        "all", description='The filter AST of /v1/request/query-clickhouse, or "all"'
    )
    timeFilter: MetricsTimeFilter
    # Sent by Helicone's dashboard with every metrics call; the key decides the organization.
    organizationId: Any = Field(None, description="Ignored: the API key names the organization")
    limit: Any = Field(None, description="Ignored (Helicone's dashboard sends it)")
    sortKey: Any = Field(None, description="Ignored (Helicone's dashboard sends it)")
    sortDirection: Any = Field(None, description="Ignored (Helicone's dashboard sends it)")
    # The dashboard's generic metrics call sends these to the one-number routes too.
    dbIncrement: Any = Field(None, description="Ignored here (over-time routes use it)")
    timeZoneDifference: Any = Field(None, description="Ignored here (over-time routes use it)")


class MetricsOverTimeBody(MetricsFilterBody):
    dbIncrement: Literal["min", "minute", "hour", "day"] = Field(
        "hour",
        validation_alias=AliasChoices("dbIncrement", "increment"),
        description="Bucket size (Jawn's default: hour); week, month and year are not offered",
    )
    timeZoneDifference: int = Field(
        0,
        ge=-MAX_TIMEZONE_MINUTES,
        le=MAX_TIMEZONE_MINUTES,
        validation_alias=AliasChoices("timeZoneDifference", "timezoneDifference"),
        description="Minutes to subtract from UTC for local time (JavaScript's "
        "getTimezoneOffset()); buckets start at local minute/hour/midnight",
    )


class QuantilesBody(MetricsOverTimeBody):
    metric: Literal["latency", "prompt_tokens", "completion_tokens", "total_tokens"]


class RequestCountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: RequestFilter = Field("all", description="The filter AST, over all time")
    isCached: bool = Field(False, description="Only requests sent with caching enabled")


class GroupsBody(BaseModel):
    """Jawn's `ModelMetricsBody` / `CountryMetricsBody`."""

    model_config = ConfigDict(extra="forbid")

    filter: RequestFilter = "all"
    timeFilter: MetricsTimeFilter
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(100, ge=1, le=MAX_GROUPS)


class TokensPerRequest(Answer):
    average_prompt_tokens_per_response: float
    average_completion_tokens_per_response: float
    average_total_tokens_per_response: float


class _Time(Answer):
    time: datetime = Field(description="Start of the bucket (UTC)")


class CountAt(_Time):
    count: int


class CostAt(_Time):
    cost: float = Field(description="USD")


class TokensAt(_Time):
    prompt_tokens: int
    completion_tokens: int


class DetailedTokensAt(TokensAt):
    reasoning_tokens: int
    prompt_cache_read_tokens: int
    prompt_cache_write_tokens: int


class ModelUsageAt(_Time):
    model: str = Field(description='"unknown" for requests without a model')
    request_count: int
    total_tokens: int


class LatencyAt(_Time):
    duration: float = Field(description="Average latency, ms (0 without requests)")


class TtftAt(_Time):
    ttft: float = Field(description="Average time to first token, ms, of rows with one")


class StatusCountAt(_Time):
    count: int
    status: int


class QuantilesAt(_Time):
    p75: Number
    p90: Number
    p95: Number
    p99: Number


class ModelMetric(Answer):
    model: str
    total_requests: int
    total_completion_tokens: int
    total_prompt_token: int = Field(description="Jawn's spelling (no s)")
    total_tokens: int
    cost: float = Field(description="USD")


class CountryData(Answer):
    country: str
    total_requests: int


class PropertyOverTimeBody(MetricsOverTimeBody):
    """Jawn's `DataOverTimeRequest & {propertyKey}`: its filter is named `userFilter`."""

    filter: RequestFilter = Field(
        "all",
        validation_alias=AliasChoices("userFilter", "filter"),
        description='The filter AST (Jawn\'s name: userFilter), or "all"',
    )
    propertyKey: str = Field(min_length=1, max_length=1000, description="Case-insensitive")


class TimeFilterBody(BaseModel):
    """Jawn's `TimeFilterRequest`."""

    model_config = ConfigDict(extra="forbid")

    timeFilter: MetricsTimeFilter


class PropertyValueAt(Answer):
    property: str = Field(description="The property's value")
    total_cost: float = Field(description="USD")
    request_count: int
    created_at_trunc: datetime = Field(description="Start of the bucket (UTC)")


class ValueCost(Answer):
    value: str = Field(description='A value of the property, or "Other" for the rest')
    cost: float = Field(description="USD")


class ValueCount(Answer):
    value: str = Field(description='A value of the property, or "Other" for the rest')
    count: int

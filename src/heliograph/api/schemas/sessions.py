"""Models of the session endpoints (Helicone's `SessionQueryParams`, `SessionResult`, ...)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from heliograph.api.schemas.components import JsonSchema
from heliograph.api.schemas.envelope import Answer, Number
from heliograph.api.schemas.filters import SessionFilter
from heliograph.store.histograms import PSize
from heliograph.store.session_tags import MAX_TAG_CHARS

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MINUTES_IN_DAY = 24 * 60
MAX_UNIX_MS = 9_999_999_999_999  # year 2286: DateTime64 stops at 2299
UnixMs = Annotated[float, Field(ge=0, le=MAX_UNIX_MS)]
TIMEZONE: JsonSchema = {"minimum": -MINUTES_IN_DAY, "maximum": MINUTES_IN_DAY}
TIMEZONE_DESCRIPTION = "Minutes to add to local time to reach UTC (Date.getTimezoneOffset())"


class TimeFilterMs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    startTimeUnixMs: UnixMs
    endTimeUnixMs: UnixMs


class SessionQueryParams(BaseModel):
    """Helicone's `SessionQueryParams`."""

    model_config = ConfigDict(extra="forbid")

    search: str = Field("", description="Case-insensitive substring of the session id or name")
    timeFilter: TimeFilterMs
    nameEquals: str | None = None
    # Checked by the handler, which names the field in its message.
    timezoneDifference: float = Field(
        0, description=TIMEZONE_DESCRIPTION, json_schema_extra=TIMEZONE
    )
    filter: SessionFilter = "all"
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(50, ge=0, le=MAX_LIMIT)


class SessionMetricsQueryParams(BaseModel):
    """Helicone's `SessionMetricsQueryParams`."""

    model_config = ConfigDict(extra="forbid")

    nameContains: str = ""
    timezoneDifference: float = Field(
        0, description=TIMEZONE_DESCRIPTION, json_schema_extra=TIMEZONE
    )
    pSize: PSize = "p75"
    useInterquartile: bool = False
    timeFilter: TimeFilterMs | None = None
    filter: SessionFilter = "all"


class SessionNameQueryParams(SessionMetricsQueryParams):
    """Helicone's `SessionNameQueryParams` (`pSize` and `useInterquartile` are ignored)."""


class SessionNameResult(Answer):
    """Helicone's `SessionNameResult`; times in the caller's time zone, cost in USD."""

    name: str
    created_at: str = Field(description="When the name's first request was made")
    first_used: str
    last_used: str
    session_count: int = Field(description="Distinct session ids under this name")
    avg_latency: Number = Field(description="Mean latency of the name's requests, ms")
    total_cost: float


class SessionFeedback(BaseModel):
    rating: StrictBool


class SessionTag(BaseModel):
    tag: str = Field(min_length=1, max_length=MAX_TAG_CHARS)


class SessionResult(Answer):
    """Helicone's `SessionResult`; times in the caller's time zone, cost in USD."""

    created_at: str
    latest_request_created_at: str
    session_id: str
    session_name: str
    total_cost: float
    total_requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    avg_latency: Number
    user_ids: list[str]


class HistogramRow(Answer):
    """One bin: bounds as JavaScript writes numbers, and how many groups fall in it."""

    range_start: str
    range_end: str
    value: Number


class Average(Answer):
    average: Number | None


class SessionAverages(Answer):
    session_cost: list[Average]
    session_duration: list[Average]
    session_count: list[Average]


class SessionMetrics(Answer):
    """Helicone's `SessionMetrics`: requests, duration (s) and cost (USD) per session."""

    session_count: list[HistogramRow]
    session_duration: list[HistogramRow]
    session_cost: list[HistogramRow]
    average: SessionAverages


class SessionSummary(SessionResult):
    feedback: bool | None = Field(description="The session's rating, null when unrated")


class TreeRequest(Answer):
    request_id: str
    path: str
    created_at: str
    model: str
    provider: str
    user_id: str
    status: int
    latency: int | None
    cost: float
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int


class SessionNode(Answer):
    """A node of the session tree; totals count its whole subtree."""

    name: str
    path: str
    total_requests: int
    total_cost: float
    requests: list[TreeRequest]
    children: list[SessionNode]


class SessionDetail(Answer):
    session: SessionSummary
    tree: SessionNode
    truncated: bool = Field(description="Whether the tree holds only the first 10000 requests")

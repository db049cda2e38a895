"""Models of the user endpoints (Helicone's `UserQueryParams`, `UserMetricsResult`, ...)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.components import JsonSchema, component
from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.filters import UserFilter
from heliograph.api.schemas.sessions import HistogramRow
from heliograph.store.histograms import PSize
from heliograph.store.users import SORT_COLUMNS

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_USER_IDS = 1000
MINUTES_IN_DAY = 24 * 60
MAX_UNIX_SECONDS = 9_999_999_999  # year 2286: DateTime64 stops at 2299
UnixSeconds = Annotated[float, Field(ge=0, le=MAX_UNIX_SECONDS)]
SortLeafUsers = Annotated[Any, component("SortLeafUsers")]

COMPONENTS: dict[str, JsonSchema] = {
    "SortLeafUsers": {
        "anyOf": [
            {
                "type": "object",
                "properties": {name: {"enum": ["asc", "desc"]} for name in SORT_COLUMNS},
                "additionalProperties": False,
                "maxProperties": 1,
            },
            {"type": "null"},
        ],
        "description": "One column and its direction (default: last active first)",
    }
}


class TimeFilterSeconds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    startTimeUnixSeconds: UnixSeconds
    endTimeUnixSeconds: UnixSeconds


class UserQueryParams(BaseModel):
    """Helicone's `UserQueryParams`."""

    model_config = ConfigDict(extra="forbid")

    userIds: list[str] | None = Field(None, max_length=MAX_USER_IDS)
    timeFilter: TimeFilterSeconds | None = None


class UserMetricsQueryParams(BaseModel):
    """Helicone's `UserMetricsQueryParams`; `filter` takes users_view and request leaves."""

    model_config = ConfigDict(extra="forbid")

    filter: UserFilter
    offset: int = Field(ge=0, le=MAX_OFFSET)
    # Checked by the handler, which names the bound in its message.
    limit: int = Field(ge=0, json_schema_extra={"maximum": MAX_LIMIT})
    timeFilter: TimeFilterSeconds | None = None
    timeZoneDifferenceMinutes: float = Field(0, ge=-MINUTES_IN_DAY, le=MINUTES_IN_DAY)
    sort: SortLeafUsers = None


class UserMetricsOverviewParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    useInterquartile: bool = False
    pSize: PSize = "p75"
    filter: UserFilter = "all"


class UserUsage(Answer):
    count: int = Field(description="Requests")
    prompt_tokens: int
    completion_tokens: int
    user_id: str
    cost: float = Field(description="USD")


class UserMetricsResult(Answer):
    """Helicone's `UserMetricsResult`; times as ISO 8601 in the caller's time zone."""

    id: str
    user_id: str
    active_for: int = Field(description="Days with at least one request")
    first_active: str
    last_active: str
    total_requests: int
    average_requests_per_day_active: float
    average_tokens_per_request: float
    total_completion_tokens: int
    total_prompt_tokens: int
    cost: float = Field(description="USD")
    rate_limited_count: int


class UserMetrics(Answer):
    users: list[UserMetricsResult]
    count: int = Field(description="Users matching the filter")
    hasUsers: bool = Field(description="Whether the organization has any user at all")


class UserMetricsOverview(Answer):
    request_count: list[HistogramRow]
    user_cost: list[HistogramRow]

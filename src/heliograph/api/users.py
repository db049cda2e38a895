"""REST: users (usage per user id, user metrics and their distributions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.users import (
    MAX_LIMIT,
    TimeFilterSeconds,
    UserMetrics,
    UserMetricsOverview,
    UserMetricsOverviewParams,
    UserMetricsQueryParams,
    UserQueryParams,
    UserUsage,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError
from heliograph.store.users import TimeWindow, user_metrics, user_metrics_overview, user_usage

router = APIRouter(tags=["User"])


def _window(time_filter: TimeFilterSeconds | None) -> TimeWindow:
    if time_filter is None:
        return TimeWindow()
    return TimeWindow(time_filter.startTimeUnixSeconds, time_filter.endTimeUnixSeconds)


@router.post("/v1/user/query", response_model=Envelope[list[UserUsage]])
async def query_users(request: Request, caller: Reader, params: UserQueryParams) -> dict[str, Any]:
    """Requests, tokens and cost per user, for the given user ids (default: all users)."""
    rows = await user_usage(
        services_of(request).engine,
        caller.organization_id,
        params.userIds,
        _window(params.timeFilter),
    )
    return ok(rows)


@router.post("/v1/user/metrics/query", response_model=Envelope[UserMetrics])
async def query_user_metrics(
    request: Request, caller: Reader, params: UserMetricsQueryParams
) -> dict[str, Any]:
    """One page of per-user metrics, the number of matching users, and whether any exist."""
    if params.limit > MAX_LIMIT:
        raise InvalidRequestError(f"Limit cannot be greater than {MAX_LIMIT}")
    data = await user_metrics(
        services_of(request).engine,
        caller.organization_id,
        params.filter,
        window=_window(params.timeFilter),
        sort=params.sort,
        offset=params.offset,
        limit=params.limit,
        timezone_minutes=params.timeZoneDifferenceMinutes,
    )
    return ok(data)


@router.post("/v1/user/metrics-overview/query", response_model=Envelope[UserMetricsOverview])
async def user_metrics_distribution(
    request: Request, caller: Reader, params: UserMetricsOverviewParams
) -> dict[str, Any]:
    """Distributions of requests and cost (USD) per user."""
    data = await user_metrics_overview(
        services_of(request).engine,
        caller.organization_id,
        params.filter,
        params.pSize,
        params.useInterquartile,
    )
    return ok(data)

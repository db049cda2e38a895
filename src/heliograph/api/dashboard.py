"""REST: dashboard series (scores over time)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.scores import DataOverTimeRequest, ScoreOverTime
from heliograph.api.services import services_of
from heliograph.store.evals import scores_over_time, time_window

router = APIRouter(tags=["Dashboard"])


@router.post("/v1/dashboard/scores/query", response_model=Envelope[list[ScoreOverTime]])
async def query_scores_over_time(
    request: Request, caller: Reader, query: DataOverTimeRequest
) -> dict[str, Any]:
    """Average value of each score per time bucket (`score_sum`, named as in Helicone)."""
    window = time_window(query.timeFilter.start, query.timeFilter.end, query.timeZoneDifference)
    rows = await scores_over_time(
        services_of(request).engine,
        caller.organization_id,
        window,
        query.dbIncrement,
        query.userFilter,
    )
    return ok(rows)

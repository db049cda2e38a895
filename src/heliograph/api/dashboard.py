"""REST: dashboard series (scores over time)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from heliograph.api.auth import require_principal
from heliograph.api.schemas.envelope import Envelope
from heliograph.api.schemas.scores import DataOverTimeRequest, ScoreOverTime
from heliograph.meta.keys import Principal
from heliograph.store.evals import scores_over_time, time_window

router = APIRouter(tags=["Dashboard"])
Caller = Annotated[Principal, Depends(require_principal)]


@router.post("/v1/dashboard/scores/query", response_model=Envelope[list[ScoreOverTime]])
async def query_scores_over_time(
    request: Request, caller: Caller, query: DataOverTimeRequest
) -> dict[str, Any]:
    """Average value of each score per time bucket (`score_sum`, named as in Helicone)."""
    window = time_window(query.timeFilter.start, query.timeFilter.end, query.timeZoneDifference)
    rows = await scores_over_time(
        request.app.state.services.engine,
        caller.organization_id,
        window,
        query.dbIncrement,
        query.userFilter,
    )
    return {"data": rows, "error": None}

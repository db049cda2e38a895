"""REST: an evaluator's stats and experiments (Helicone's `GET /v1/evaluator/{id}/stats` and
`GET /v1/evaluator/{id}/experiments`), organization-scoped: another organization's
evaluator is a 404, as on every evaluator route."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.evaluators import NOT_FOUND, evaluators_of
from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.evaluators import EvaluatorExperiment, EvaluatorStats
from heliograph.errors import NotFoundError
from heliograph.evaluators.definition import EvaluatorInfo

router = APIRouter(tags=["Evaluator"])


async def _evaluator(request: Request, organization_id: str, evaluator_id: str) -> EvaluatorInfo:
    store = evaluators_of(request).store
    info = await asyncio.to_thread(store.get, organization_id, evaluator_id)
    if info is None:
        raise NotFoundError(NOT_FOUND)
    return info


@router.get("/v1/evaluator/{evaluatorId}/stats", response_model=Envelope[EvaluatorStats])
async def get_evaluator_stats(evaluatorId: str, request: Request, caller: Reader) -> dict[str, Any]:
    """The scores the evaluator wrote (its `score_name` on the organization's requests):
    average, count, the last 7 days against the 7 before, a distribution in buckets 20 wide
    and the daily average of the last 30 days (UTC)."""
    info = await _evaluator(request, caller.organization_id, evaluatorId)
    return ok(await evaluators_of(request).stats(info))


@router.get(
    "/v1/evaluator/{evaluatorId}/experiments", response_model=Envelope[list[EvaluatorExperiment]]
)
async def get_evaluator_experiments(
    evaluatorId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """The experiments the evaluator scores, newest first."""
    info = await _evaluator(request, caller.organization_id, evaluatorId)
    return ok(await evaluators_of(request).experiments(info))

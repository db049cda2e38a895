"""REST: evals, i.e. the scores on an organization's requests, summarized.

Helicone's evals are its request scores: `/v1/evals/query` summarizes each score name,
`/v1/evals/score-distributions/query` histograms them, `/v1/evals/scores` lists the names and
`POST /v1/evals/{requestId}` records one (Jawn's version only logs it; here it is stored as a
score, with the same value rules as `/v1/request/{id}/score`). Operation ids are Helicone's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from heliograph.api.auth import Caller
from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.scores import Eval, EvalBody, EvalQueryParams, ScoreDistribution
from heliograph.api.scores import BODY_REQUIRED, RequestId, score_name, score_request, score_value
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError
from heliograph.store.evals import eval_summaries, page, score_distributions, time_window
from heliograph.store.scores import score_names

router = APIRouter(tags=["Evals"])


def _services(request: Request) -> Any:
    return services_of(request)


@router.post("/v1/evals/query", response_model=Envelope[list[Eval]], operation_id="QueryEvals")
async def query_evals(request: Request, caller: Reader, query: EvalQueryParams) -> dict[str, Any]:
    """Per score name: average, min, max, count, and hourly counts and averages."""
    window = time_window(query.timeFilter.start, query.timeFilter.end, query.timeZoneDifference)
    engine = _services(request).engine
    names = await score_names(engine, caller.organization_id)
    evals = await eval_summaries(
        engine, caller.organization_id, page(names, query.offset, query.limit), window, query.filter
    )
    return ok(evals)


@router.get("/v1/evals/scores", response_model=Envelope[list[str]], operation_id="GetEvalScores")
async def list_eval_scores(request: Request, caller: Reader) -> dict[str, Any]:
    """The score names used on the organization's requests."""
    names = await score_names(_services(request).engine, caller.organization_id)
    return ok(names)


@router.post(
    "/v1/evals/score-distributions/query",
    response_model=Envelope[list[ScoreDistribution]],
    operation_id="QueryScoreDistributions",
)
async def query_score_distributions(
    request: Request, caller: Reader, query: EvalQueryParams
) -> dict[str, Any]:
    """Per score name, a 10-bin histogram of its values in the window."""
    window = time_window(query.timeFilter.start, query.timeFilter.end, query.timeZoneDifference)
    histograms = await score_distributions(
        _services(request).engine, caller.organization_id, window, query.filter
    )
    return ok(page(histograms, query.offset, query.limit))


@router.post(
    "/v1/evals/{request_id}",
    response_model=Envelope[None],
    openapi_extra=BODY_REQUIRED,
    operation_id="AddEval",
    status_code=201,  # as Jawn's EvalController.addEval
)
async def add_eval(
    request_id: RequestId,
    request: Request,
    caller: Caller,
    body: Annotated[EvalBody, Body()] = None,
) -> dict[str, Any]:
    """Record the eval `{"name": ..., "score": ...}` as a score of a logged request."""
    if not isinstance(body, dict):
        raise InvalidRequestError(
            'Body must be a JSON object like {"name": "accuracy", "score": 92}'
        )
    for field in ("name", "score"):
        if field not in body:
            raise InvalidRequestError(f'{field} is required: send {{"name": ..., "score": ...}}')
    name = score_name("name", body["name"])
    value = score_value("score", body["score"], allow_bool=False)
    return await score_request(request, caller, request_id, {name: value})

"""REST: running experiments. Helicone's run-hypothesis (one cell), evaluators and scores
endpoints, and Heliograph's run of every cell in the background with its cost estimate,
progress, stop and results table."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from heliograph.api.auth import Caller
from heliograph.api.evaluators import shown as shown_evaluator
from heliograph.api.experiments import ExperimentId, experiments_of
from heliograph.api.schemas.envelope import UUID_PATTERN, Envelope, ok
from heliograph.api.schemas.experiments import EstimateBody, EvaluatorRef, RunBody, RunHypothesis
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.experiments import runs
from heliograph.experiments.rescoring import unscored
from heliograph.experiments.results import calls_of, summary
from heliograph.experiments.store import RunSettings
from heliograph.gateway.ratelimit import parse_policy

router = APIRouter(tags=["Experiment"])
EVALUATOR_NOT_FOUND = "Evaluator not found"
BOOLEAN_SUFFIX = "-hcone-bool"  # Helicone's score names of boolean evaluators end so


@router.post("/v2/experiment/{experimentId}/run-hypothesis", response_model=Envelope[str])
async def run_hypothesis(
    experimentId: ExperimentId, body: RunHypothesis, request: Request, caller: Caller
) -> dict[str, Any]:
    """Run one version on one row in the background: answers the call's request id."""
    request_id = await runs.run_one(
        experiments_of(request),
        caller.organization_id,
        experimentId,
        body.promptVersionId,
        body.inputRecordId.lower(),
    )
    return ok(request_id)


@router.post("/v2/experiment/{experimentId}/run", response_model=Envelope[dict[str, Any]])
async def run_experiment(
    experimentId: ExperimentId, body: RunBody, request: Request, caller: Caller
) -> dict[str, Any]:
    """**Heliograph**: run the versions (all by default) over every row that has no
    output of them yet, `concurrency` calls at once, in the background. Runs survive a
    restart; calling again resumes (and retries failed cells)."""
    if body.rateLimitPolicy is not None:
        parse_policy(body.rateLimitPolicy)  # a policy every call would be refused for
    settings = RunSettings(body.concurrency, body.cache, body.model, body.rateLimitPolicy)
    queued = await runs.start_run(
        experiments_of(request),
        caller.organization_id,
        experimentId,
        body.promptVersionIds,
        settings,
    )
    return ok({"queued": queued})


@router.post("/v2/experiment/{experimentId}/stop", response_model=Envelope[None])
async def stop_experiment(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """**Heliograph**: start no more calls; the next run goes on from there."""
    await runs.stop_run(experiments_of(request), caller.organization_id, experimentId)
    return ok(None)


@router.post(
    "/v2/experiment/{experimentId}/estimate", response_model=Envelope[list[dict[str, Any]]]
)
async def estimate_experiment(
    experimentId: ExperimentId, body: EstimateBody, request: Request, caller: Caller
) -> dict[str, Any]:
    """**Heliograph**: what a run would cost, per version (prompt tokens from the filled
    messages, completion tokens at most `max_tokens`, else 256 a call)."""
    found = await runs.estimate_run(
        experiments_of(request),
        services_of(request).catalog,
        caller.organization_id,
        experimentId,
        body.promptVersionIds,
        body.model,
    )
    return ok(
        [
            {
                "promptVersionId": e.prompt_version_id,
                "model": e.model,
                "calls": e.calls,
                "promptTokens": e.prompt_tokens,
                "completionTokens": e.completion_tokens,
                "cost": e.cost,
            }
            for e in found
        ]
    )


@router.get("/v2/experiment/{experimentId}/progress", response_model=Envelope[dict[str, Any]])
async def experiment_progress(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """**Heliograph**: the run's status, its outputs by state, and per version the calls,
    cost, latency, tokens and mean scores so far."""
    found = await runs.progress(experiments_of(request), caller.organization_id, experimentId)
    return ok(found)


@router.get("/v2/experiment/{experimentId}/results", response_model=Envelope[list[dict[str, Any]]])
async def experiment_results(
    experimentId: ExperimentId,
    request: Request,
    caller: Caller,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """**Heliograph**: a page of the comparison table: each row's inputs and, per version,
    its newest output with its answer, status, cost, latency, tokens and scores."""
    found = await runs.results_page(
        experiments_of(request), caller.organization_id, experimentId, offset, limit
    )
    return ok(found)


@router.get(
    "/v2/experiment/{experimentId}/evaluators", response_model=Envelope[list[dict[str, Any]]]
)
async def experiment_evaluators(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    experiments = experiments_of(request)
    await experiments.owned(caller.organization_id, experimentId)
    found = await experiments.attached_evaluators(caller.organization_id, experimentId)
    return ok([shown_evaluator(info) for info in found])


@router.post("/v2/experiment/{experimentId}/evaluators", response_model=Envelope[None])
async def attach_evaluator(
    experimentId: ExperimentId, body: EvaluatorRef, request: Request, caller: Caller
) -> dict[str, Any]:
    """Score every output of the experiment with the evaluator (outputs made from now on;
    `evaluators/run` scores those made before)."""
    experiments = experiments_of(request)
    await experiments.owned(caller.organization_id, experimentId)
    if not await asyncio.to_thread(
        experiments.store.attach_evaluator,
        caller.organization_id,
        experimentId,
        body.evaluatorId.lower(),
    ):
        raise NotFoundError(EVALUATOR_NOT_FOUND)
    return ok(None)


@router.delete(
    "/v2/experiment/{experimentId}/evaluators/{evaluatorId}", response_model=Envelope[None]
)
async def detach_evaluator(
    experimentId: ExperimentId,
    evaluatorId: Annotated[str, Path(pattern=UUID_PATTERN)],
    request: Request,
    caller: Caller,
) -> dict[str, Any]:
    experiments = experiments_of(request)
    await experiments.owned(caller.organization_id, experimentId)
    if not await asyncio.to_thread(
        experiments.store.detach_evaluator,
        caller.organization_id,
        experimentId,
        evaluatorId.lower(),
    ):
        raise NotFoundError(EVALUATOR_NOT_FOUND)
    return ok(None)


@router.post("/v2/experiment/{experimentId}/evaluators/run", response_model=Envelope[None])
async def run_evaluators(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """Score, in the background, every output that lacks an attached evaluator's score."""
    experiments = experiments_of(request)
    await experiments.owned(caller.organization_id, experimentId)
    experiments.rescoring.start(experiments, caller.organization_id, experimentId)
    return ok(None)


@router.get("/v2/experiment/{experimentId}/should-run-evaluators", response_model=Envelope[bool])
async def should_run_evaluators(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """Whether some output lacks the score of an attached evaluator."""
    experiments, org = experiments_of(request), caller.organization_id
    await experiments.owned(org, experimentId)
    attached = await experiments.attached_evaluators(org, experimentId)
    return ok(bool(attached) and bool(await unscored(experiments, org, experimentId, attached)))


def score_v2(value: float, low: float, high: float, name: str) -> dict[str, Any]:
    """Helicone's ScoreV2."""
    kind = "boolean" if name.endswith(BOOLEAN_SUFFIX) else "number"
    return {"value": value, "valueType": kind, "max": high, "min": low}


@router.get(
    "/v2/experiment/{experimentId}/{promptVersionId}/scores",
    response_model=Envelope[dict[str, Any]],
)
async def version_scores(
    experimentId: ExperimentId, promptVersionId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """Each score's mean (with its lowest and highest) over the version's outputs."""
    experiments, org = experiments_of(request), caller.organization_id
    await experiments.owned(org, experimentId)
    versions = await summary(experiments.engine, org, experimentId)
    scores = versions.get(promptVersionId, {}).get("scores", {})
    return ok({k: score_v2(s["mean"], s["min"], s["max"], k) for k, s in scores.items()})


@router.get(
    "/v2/experiment/{experimentId}/{requestId}/{scoreKey}",
    response_model=Envelope[dict[str, Any] | None],
)
async def request_score(
    experimentId: ExperimentId,
    requestId: Annotated[str, Path(pattern=UUID_PATTERN)],
    scoreKey: str,
    request: Request,
    caller: Caller,
) -> dict[str, Any]:
    """One output's score named `scoreKey`, or null."""
    experiments, org = experiments_of(request), caller.organization_id
    await experiments.owned(org, experimentId)
    calls = await calls_of(experiments.engine, org, [requestId.lower()])
    value = calls.get(requestId.lower(), {}).get("scores", {}).get(scoreKey)
    return ok(None if value is None else score_v2(value, value, value, scoreKey))

"""REST: evaluators (Helicone's `/v1/evaluator`), their online attachments and test runs.

Evaluators belong to the caller's organization; another organization's evaluator is a 404
on every route. The test endpoints run an evaluator once on a given call and answer 200
whenever it ran, with its score or the reason there is none (a judge call is logged as any
gateway call of the organization).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.evaluators import (
    EvaluatorResult,
    OnlineEvaluatorResult,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.evaluators.definition import EvaluatorInfo, definition_of
from heliograph.evaluators.online_config import parse_online_config
from heliograph.evaluators.service import Evaluators
from heliograph.evaluators.store import OnlineInfo

router = APIRouter(tags=["Evaluator"])
NOT_FOUND = "Evaluator not found"
ONLINE_NOT_FOUND = "Online evaluator not found"


def body_of(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(name)}},
        }
    }


def evaluators_of(request: Request) -> Evaluators:
    evaluators: Evaluators = services_of(request).evaluators
    return evaluators


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequestError("Invalid request: the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("Invalid request: the body must be a JSON object")
    return body


def shown(info: EvaluatorInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
        "organization_id": info.organization_id,
        "name": info.name,
        "scoring_type": info.scoring_type,
        "llm_template": info.llm_template,
        "code_template": info.code_template,
        "last_mile_config": None,
        "score_name": info.score_name,
    }


def shown_online(info: OnlineInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "evaluator_id": info.evaluator_id,
        "config": {
            "sampleRate": info.config.sample_rate,
            "propertyFilters": [{"key": k, "value": v} for k, v in info.config.property_filters],
        },
        "created_at": info.created_at.isoformat(),
    }


@router.post(
    "/v1/evaluator",
    status_code=201,
    response_model=Envelope[EvaluatorResult],
    openapi_extra=body_of("CreateEvaluatorParams"),
)
async def create_evaluator(request: Request, caller: Caller) -> dict[str, Any]:
    """Create an evaluator: LLM-as-judge (`llm_template`, scored LLM-BOOLEAN, LLM-CHOICE or
    LLM-RANGE) or PYTHON (`code_template`)."""
    definition = definition_of(await json_object(request))
    evaluators = evaluators_of(request)
    created = await asyncio.to_thread(evaluators.store.create, caller.organization_id, definition)
    return ok(shown(created))


@router.post("/v1/evaluator/query", response_model=Envelope[list[EvaluatorResult]])
async def query_evaluators(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's evaluators, newest first (the body, `{}`, is ignored)."""
    store = evaluators_of(request).store
    found = await asyncio.to_thread(store.list_for, caller.organization_id)
    return ok([shown(info) for info in found])


@router.get("/v1/evaluator/{evaluatorId}", response_model=Envelope[EvaluatorResult])
async def get_evaluator(evaluatorId: str, request: Request, caller: Caller) -> dict[str, Any]:
    """One evaluator of the organization."""
    store = evaluators_of(request).store
    info = await asyncio.to_thread(store.get, caller.organization_id, evaluatorId)
    if info is None:
        raise NotFoundError(NOT_FOUND)
    return ok(shown(info))


@router.put(
    "/v1/evaluator/{evaluatorId}",
    response_model=Envelope[EvaluatorResult],
    openapi_extra=body_of("UpdateEvaluatorParams"),
)
async def update_evaluator(evaluatorId: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Change an evaluator; fields left out (or null) are kept. Its online evaluators use the
    new definition from their next job."""
    body = await json_object(request)
    store = evaluators_of(request).store
    current = await asyncio.to_thread(store.get, caller.organization_id, evaluatorId)
    if current is None:
        raise NotFoundError(NOT_FOUND)
    changed = await asyncio.to_thread(
        store.update, caller.organization_id, current.id, definition_of(body, current)
    )
    if changed is None:
        raise NotFoundError(NOT_FOUND)
    return ok(shown(changed))


@router.delete("/v1/evaluator/{evaluatorId}", response_model=Envelope[None])
async def delete_evaluator(evaluatorId: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Delete an evaluator with its online evaluators and their queued jobs (scores already
    written stay)."""
    if not await evaluators_of(request).delete(caller.organization_id, evaluatorId):
        raise NotFoundError(NOT_FOUND)
    return ok(None)


@router.get(
    "/v1/evaluator/{evaluatorId}/onlineEvaluators",
    response_model=Envelope[list[OnlineEvaluatorResult]],
)
async def get_online_evaluators(
    evaluatorId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """The evaluator's online evaluators (404 for no such evaluator)."""
    evaluators = evaluators_of(request)
    info = await asyncio.to_thread(evaluators.store.get, caller.organization_id, evaluatorId)
    if info is None:
        raise NotFoundError(NOT_FOUND)
    found = await asyncio.to_thread(
        evaluators.online.for_evaluator, caller.organization_id, info.id
    )
    return ok([shown_online(online) for online in found])


@router.post(
    "/v1/evaluator/{evaluatorId}/onlineEvaluators",
    response_model=Envelope[None],
    openapi_extra=body_of("CreateOnlineEvaluatorParams"),
)
async def create_online_evaluator(
    evaluatorId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """Attach the evaluator to live traffic: requests logged from now on that match every
    property filter, sampled at `sampleRate` percent, are scored in the background."""
    body = await json_object(request)
    config = parse_online_config(body.get("config"))
    if not await evaluators_of(request).attach(caller.organization_id, evaluatorId, config):
        raise NotFoundError(NOT_FOUND)
    return ok(None)


@router.delete(
    "/v1/evaluator/{evaluatorId}/onlineEvaluators/{onlineEvaluatorId}",
    response_model=Envelope[None],
)
async def delete_online_evaluator(
    evaluatorId: str, onlineEvaluatorId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """Stop scoring live traffic with this online evaluator; its queued jobs are dropped."""
    evaluators = evaluators_of(request)
    if not await evaluators.detach(caller.organization_id, evaluatorId, onlineEvaluatorId):
        raise NotFoundError(ONLINE_NOT_FOUND)
    return ok(None)

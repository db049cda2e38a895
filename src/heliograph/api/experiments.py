"""REST: Helicone's experiments (/v2/experiment): create (from a prompt version, empty, or
from a logged request), list, get with rows, delete, the prompt versions compared, their
input keys, and promoting the winner (Heliograph's).

Rows are in experiment_rows.py; runs, results and evaluators in experiment_runs.py. Every
call sees only the caller's organization: another organization's experiment is a 404.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import UUID_PATTERN, Envelope, ok
from heliograph.api.schemas.experiments import (
    ExperimentCreated,
    ExperimentVersionBody,
    NewExperiment,
    PromoteBody,
)
from heliograph.api.services import services_of
from heliograph.datasets.rules import js_iso
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.experiments.rules import EXPERIMENT_NOT_FOUND
from heliograph.experiments.service import Experiments
from heliograph.experiments.sources import create_empty, create_from_request
from heliograph.experiments.store import ExperimentInfo

router = APIRouter(tags=["Experiment"])
ExperimentId = Annotated[str, Path(pattern=UUID_PATTERN, description="An experiment's id")]


def experiments_of(request: Request) -> Experiments:
    experiments: Experiments = services_of(request).experiments
    return experiments


def shown(info: ExperimentInfo) -> dict[str, Any]:
    """Helicone's ExperimentV2, with the prompt (id and name), the number of rows and the
    run's status. Versions are immutable here, so the "copied" original is the original
    itself."""
    return {
        "id": info.id,
        "name": info.name,
        "original_prompt_version": info.original_prompt_version,
        "copied_original_prompt_version": info.original_prompt_version,
        "input_keys": info.input_keys,
        "created_at": js_iso(info.created_at),
        "prompt_id": info.prompt_id,
        "prompt_name": info.prompt_name,
        "row_count": info.row_count,
        "status": info.status,
    }


@router.post("/v2/experiment/create/empty", response_model=Envelope[ExperimentCreated])
async def create_empty_experiment(request: Request, caller: Caller) -> dict[str, Any]:
    """A new prompt (gpt-4o, one system message) and an experiment over it."""
    experiment_id = await create_empty(experiments_of(request), caller.organization_id)
    return ok({"experimentId": experiment_id})


@router.post(
    "/v2/experiment/create/from-request/{requestId}", response_model=Envelope[ExperimentCreated]
)
async def create_from_logged_request(
    requestId: Annotated[str, Path(pattern=UUID_PATTERN)], request: Request, caller: Caller
) -> dict[str, Any]:
    """An experiment over the version the request was assembled from (or a new prompt made
    from its body), with the request's inputs as its first row."""
    experiments = experiments_of(request)
    experiment_id = await create_from_request(experiments, caller.organization_id, requestId)
    return ok({"experimentId": experiment_id})


@router.post("/v2/experiment/new", response_model=Envelope[ExperimentCreated])
async def create_experiment(
    body: NewExperiment, request: Request, caller: Caller
) -> dict[str, Any]:
    experiments = experiments_of(request)
    experiment_id = await experiments.create(
        caller.organization_id, body.name.strip(), body.originalPromptVersion
    )
    return ok({"experimentId": experiment_id})


@router.get("/v2/experiment", response_model=Envelope[list[dict[str, Any]]])
async def list_experiments(request: Request, caller: Caller) -> dict[str, Any]:
    store = experiments_of(request).store
    found = await asyncio.to_thread(store.of_organization, caller.organization_id)
    return ok([shown(info) for info in found])


@router.delete("/v2/experiment/{experimentId}", response_model=Envelope[None])
async def delete_experiment(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """Delete the experiment, its rows and outputs; its calls stay logged."""
    store = experiments_of(request).store
    if not await asyncio.to_thread(store.delete, caller.organization_id, experimentId):
        raise NotFoundError(EXPERIMENT_NOT_FOUND)
    return ok(None)


@router.get("/v2/experiment/{experimentId}", response_model=Envelope[dict[str, Any]])
async def get_experiment(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    """Helicone's ExtendedExperimentData: the experiment and its rows, each with its
    outputs (newest first, with their run status)."""
    experiments = experiments_of(request)
    info = await experiments.owned(caller.organization_id, experimentId)
    rows = await asyncio.to_thread(experiments.rows.page, experimentId, 0, 5_000)
    return ok(
        {
            **shown(info),
            "rows": [
                {
                    "id": row.id,
                    "inputs": row.inputs,
                    "prompt_version": info.original_prompt_version,
                    "auto_prompt_inputs": row.auto_inputs,
                    "requests": [
                        {
                            "id": output.id,
                            "request_id": output.request_id,
                            "is_original": output.is_original,
                            "prompt_version_id": output.prompt_version_id,
                            "created_at": js_iso(output.created_at),
                            "input_record_id": row.id,
                            "status": output.status,
                            "error": output.error,
                        }
                        for output in row.outputs
                    ],
                }
                for row in rows
            ],
        }
    )


@router.post(
    "/v2/experiment/{experimentId}/prompt-version", response_model=Envelope[dict[str, Any]]
)
async def add_prompt_version(
    experimentId: ExperimentId, body: ExperimentVersionBody, request: Request, caller: Caller
) -> dict[str, Any]:
    """Compare another version: a new one made from `newHeliconeTemplate` after
    `parentPromptVersionId`, or an existing one of the prompt (`promptVersionId`)."""
    experiments, org = experiments_of(request), caller.organization_id
    label = str((body.metadata or {}).get("label") or "")[:255]
    if body.newHeliconeTemplate is not None:
        info = await experiments.owned(org, experimentId)
        parent = body.parentPromptVersionId or info.original_prompt_version
        version = await experiments.new_version(
            org, experimentId, parent, body.newHeliconeTemplate, label
        )
    elif body.promptVersionId is not None:
        await experiments.add_version(org, experimentId, body.promptVersionId, label)
        version = await experiments.version(org, body.promptVersionId)
    else:
        raise InvalidRequestError(
            "Invalid request: give newHeliconeTemplate (a new version) or promptVersionId"
        )
    template = await experiments.prompts.body_of(version)
    return ok(_version_result(version, template, experimentId, label))


def _version_result(version: Any, template: Any, experiment_id: str, label: str) -> dict[str, Any]:
    """Helicone's PromptVersionResult (and ExperimentV2PromptVersion)."""
    return {
        "id": version.id,
        "minor_version": version.minor_version,
        "major_version": version.major_version,
        "prompt_v2": version.prompt_id,
        "model": version.model,
        "helicone_template": template,
        "created_at": js_iso(version.created_at),
        "metadata": {"label": label} if label else {},
        "experiment_id": experiment_id,
        "organization": version.organization_id,
        "soft_delete": False,
    }


@router.delete(
    "/v2/experiment/{experimentId}/prompt-version/{promptVersionId}", response_model=Envelope[None]
)
async def remove_prompt_version(
    experimentId: ExperimentId, promptVersionId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    """Stop comparing a version (not the original); the version stays in the prompt."""
    await experiments_of(request).remove_version(
        caller.organization_id, experimentId, promptVersionId
    )
    return ok(None)


@router.get(
    "/v2/experiment/{experimentId}/prompt-versions", response_model=Envelope[list[dict[str, Any]]]
)
async def list_prompt_versions(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    experiments, org = experiments_of(request), caller.organization_id
    found = []
    for variant, template in await experiments.variants(org, experimentId):
        version = await asyncio.to_thread(
            experiments.prompts.versions.get, org, variant.prompt_version_id
        )
        if version is not None:
            found.append(_version_result(version, template, experimentId, variant.label))
    return ok(found)


@router.get("/v2/experiment/{experimentId}/input-keys", response_model=Envelope[list[str]])
async def input_keys(
    experimentId: ExperimentId, request: Request, caller: Caller
) -> dict[str, Any]:
    info = await experiments_of(request).owned(caller.organization_id, experimentId)
    return ok(info.input_keys)


@router.post("/v2/experiment/{experimentId}/promote", response_model=Envelope[None])
async def promote(
    experimentId: ExperimentId, body: PromoteBody, request: Request, caller: Caller
) -> dict[str, Any]:
    """**Heliograph**: serve a compared version in an environment (production by default),
    as `POST /v1/prompt-2025/update/environment` does."""
    await experiments_of(request).promote(
        caller.organization_id, experimentId, body.promptVersionId, body.environment
    )
    return ok(None)

"""REST: Helicone's experiment datasets (/v1/experiment/dataset): create from requests or
from a filter, list (by prompt version), add an input row, list input rows, mutate.

They are datasets like /v1/helicone-dataset's (dataset_type "experiment"), organization
scoped the same way.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.datasets import DatasetId, datasets_of
from heliograph.api.schemas.datasets import (
    VERSION_PATTERN,
    DatasetCreated,
    ExperimentDatasetOut,
    ExperimentDatasetsQuery,
    ExperimentInputOut,
    ExperimentMutate,
    NewExperimentDataset,
    NewExperimentRow,
    RandomDataset,
)
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.services import services_of
from heliograph.datasets.curation import add_requests
from heliograph.datasets.rows import StoredRow
from heliograph.datasets.rules import EXPERIMENT, js_iso
from heliograph.datasets.service import InputRecord
from heliograph.datasets.store import NewDataset

router = APIRouter(tags=["Dataset"])
PromptVersionId = Annotated[str, Path(pattern=VERSION_PATTERN, description="A prompt version's id")]
MAX_LISTED = 100  # datasets /query answers, as Helicone's
MAX_INPUT_ROWS = 1_000  # rows /inputs/query answers, as Helicone's


@router.post("/v1/experiment/dataset", response_model=Envelope[DatasetCreated])
async def create_experiment_dataset(
    body: NewExperimentDataset, request: Request, caller: Caller
) -> dict[str, Any]:
    """A dataset holding copies of the requests named."""
    meta = body.meta.model_dump(exclude_none=True) if body.meta else None
    new = NewDataset(body.datasetName.strip(), "", body.datasetType, meta)
    engine = services_of(request).engine
    created = await datasets_of(request).create(
        engine, caller.organization_id, new, body.requestIds
    )
    return ok({"datasetId": created})


@router.post("/v1/experiment/dataset/random", response_model=Envelope[DatasetCreated])
async def create_random_dataset(
    body: RandomDataset, request: Request, caller: Caller
) -> dict[str, Any]:
    """A dataset of up to `limit` requests the filter matches (newest first from `offset`)."""
    new = NewDataset(body.datasetName.strip(), "", EXPERIMENT)
    engine = services_of(request).engine
    created = await datasets_of(request).create(
        engine, caller.organization_id, new, [], body.filter, body.limit, body.offset
    )
    return ok({"datasetId": created})


@router.post("/v1/experiment/dataset/query", response_model=Envelope[list[ExperimentDatasetOut]])
async def query_experiment_datasets(
    body: ExperimentDatasetsQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    """The organization's datasets (of every type; those made for `promptVersionId` when
    given), newest first, the first 100."""
    store = datasets_of(request).store
    found = await asyncio.to_thread(store.find, caller.organization_id)
    if body.promptVersionId is not None:
        found = [d for d in found if (d.meta or {}).get("promptVersionId") == body.promptVersionId]
    return ok(
        [
            {"id": d.id, "name": d.name, "created_at": js_iso(d.created_at), "meta": d.meta}
            for d in found[:MAX_LISTED]
        ]
    )


@router.post(
    "/v1/experiment/dataset/{datasetId}/version/{promptVersionId}/row",
    response_model=Envelope[str],
)
async def create_input_row(
    datasetId: DatasetId,
    promptVersionId: PromptVersionId,
    body: NewExperimentRow,
    request: Request,
    caller: Caller,
) -> dict[str, Any]:
    """Add a row of inputs for the prompt version; answers its id."""
    record = InputRecord(promptVersionId, body.inputs, body.sourceRequest)
    engine = services_of(request).engine
    row_id = await datasets_of(request).add_input_row(
        engine, caller.organization_id, datasetId, record
    )
    return ok(row_id)


def _input_record(row: StoredRow, dataset_version: str | None) -> dict[str, Any]:
    stored = row.copy.inputs or {}
    inputs = stored.get("inputs")
    return {
        "id": row.id,
        "inputs": inputs if isinstance(inputs, dict) else {},
        "dataset_row_id": row.id,
        "source_request": stored.get("sourceRequest") or row.copy.origin_request_id,
        "prompt_version": stored.get("promptVersionId") or dataset_version,
        "created_at": js_iso(row.created_at),
        "autoInputs": [],
    }


@router.post(
    "/v1/experiment/dataset/{datasetId}/inputs/query",
    response_model=Envelope[list[ExperimentInputOut]],
)
async def query_input_rows(
    datasetId: DatasetId, request: Request, caller: Caller
) -> dict[str, Any]:
    """The dataset's rows as input records (the first 1000, oldest first)."""
    datasets = datasets_of(request)
    info = await datasets.owned(caller.organization_id, datasetId)
    rows = await asyncio.to_thread(
        datasets.rows.page_after, caller.organization_id, datasetId, None, MAX_INPUT_ROWS
    )
    version = (info.meta or {}).get("promptVersionId")
    return ok([_input_record(row, version) for row in rows])


@router.post("/v1/experiment/dataset/{datasetId}/mutate", response_model=Envelope[list[Any]])
async def mutate_experiment_dataset(
    datasetId: DatasetId, body: ExperimentMutate, request: Request, caller: Caller
) -> dict[str, Any]:
    """Copy `addRequests` in and remove `removeRequests` (row or request ids)."""
    datasets, org = datasets_of(request), caller.organization_id
    await datasets.owned(org, datasetId)
    if body.addRequests:
        engine = services_of(request).engine
        await add_requests(engine, datasets.rows, org, datasetId, body.addRequests)
    if body.removeRequests:
        await asyncio.to_thread(datasets.rows.remove, org, datasetId, body.removeRequests)
    return ok([])

"""REST: Helicone's datasets (/v1/helicone-dataset): create, list, count, mutate, add or edit
one request, delete.

Rows, exports and imports are in dataset_rows.py. Every call sees only the caller's
organization: another organization's dataset is a 404, as a missing one is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.datasets import (
    DatasetCreated,
    DatasetsQuery,
    HeliconeDatasetOut,
    Mutate,
    NewHeliconeDataset,
    RowEdit,
)
from heliograph.api.schemas.envelope import UUID_PATTERN, Envelope, ok
from heliograph.api.services import services_of
from heliograph.datasets.curation import add_matching, add_requests
from heliograph.datasets.rules import DATASET_NOT_FOUND, HELICONE, js_iso
from heliograph.datasets.service import Datasets
from heliograph.datasets.store import DatasetInfo, NewDataset
from heliograph.errors import InvalidRequestError, NotFoundError

router = APIRouter(tags=["Dataset"])
DatasetId = Annotated[str, Path(pattern=UUID_PATTERN, description="A dataset's id")]
RowOrRequestId = Annotated[
    str, Path(pattern=UUID_PATTERN, description="A request id (to add) or a row id (to edit)")
]


def datasets_of(request: Request) -> Datasets:
    datasets: Datasets = services_of(request).datasets
    return datasets


def shown(info: DatasetInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "description": info.description,
        "dataset_type": info.dataset_type,
        "meta": info.meta,
        "organization": info.organization_id,
        "requests_count": info.rows,
        "created_at": js_iso(info.created_at),
        "updated_at": js_iso(info.updated_at),
    }


@router.post("/v1/helicone-dataset", response_model=Envelope[DatasetCreated])
async def create_dataset(
    body: NewHeliconeDataset, request: Request, caller: Caller
) -> dict[str, Any]:
    """Create a dataset holding copies of the requests named (none: an empty dataset)."""
    name = body.datasetName or body.name
    if name is None:
        raise InvalidRequestError("datasetName is required")
    meta = body.meta.model_dump(exclude_none=True) if body.meta else None
    new = NewDataset(name.strip(), body.description, HELICONE, meta)
    engine = services_of(request).engine
    dataset_id = await datasets_of(request).create(
        engine, caller.organization_id, new, body.requestIds
    )
    return ok({"datasetId": dataset_id})


@router.post("/v1/helicone-dataset/query", response_model=Envelope[list[HeliconeDatasetOut]])
async def query_datasets(body: DatasetsQuery, request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's datasets (or those of `datasetIds`), newest first, with their row
    counts."""
    store = datasets_of(request).store
    ids = body.datasetIds or None  # an empty list asks for every dataset, as Helicone's
    found = await asyncio.to_thread(store.find, caller.organization_id, ids, HELICONE)
    return ok([shown(info) for info in found])


@router.post("/v1/helicone-dataset/{datasetId}/count", response_model=Envelope[int])
async def count_rows(datasetId: DatasetId, request: Request, caller: Caller) -> dict[str, Any]:
    rows = datasets_of(request).rows
    count = await asyncio.to_thread(rows.count, caller.organization_id, datasetId)
    if count is None:
        raise NotFoundError(DATASET_NOT_FOUND)
    return ok(count)


@router.post("/v1/helicone-dataset/{datasetId}/mutate", response_model=Envelope[None])
async def mutate_dataset(
    datasetId: DatasetId, body: Mutate, request: Request, caller: Caller
) -> dict[str, Any]:
    """Copy `addRequests` (and what `filter` matches) in, then remove `removeRequests` (row
    ids, or the request ids rows were copied from). A request already held is not added
    twice."""
    datasets, org = datasets_of(request), caller.organization_id
    await datasets.owned(org, datasetId)
    engine = services_of(request).engine
    if body.addRequests:
        await add_requests(engine, datasets.rows, org, datasetId, body.addRequests)
    if body.filter is not None:
        await add_matching(engine, datasets.rows, org, datasetId, body.filter, body.filterLimit)
    if body.removeRequests:
        await asyncio.to_thread(datasets.rows.remove, org, datasetId, body.removeRequests)
    return ok(None)


@router.post("/v1/helicone-dataset/{datasetId}/request/{requestId}", response_model=Envelope[None])
async def add_or_edit_request(
    datasetId: DatasetId,
    requestId: RowOrRequestId,
    request: Request,
    caller: Caller,
    body: Annotated[RowEdit | None, Body()] = None,
) -> dict[str, Any]:
    """With no body, copy the logged request in (as Helicone's docs add one). With
    `requestBody` and/or `responseBody`, replace the row's copies (the row named by its id
    or its request's id); the logged request is left as it is."""
    datasets, org = datasets_of(request), caller.organization_id
    if body is None or (body.requestBody is None and body.responseBody is None):
        await datasets.owned(org, datasetId)
        engine = services_of(request).engine
        await add_requests(engine, datasets.rows, org, datasetId, [requestId])
    else:
        await datasets.edit_row(org, datasetId, requestId, body.requestBody, body.responseBody)
    return ok(None)


@router.post("/v1/helicone-dataset/{datasetId}/delete", response_model=Envelope[None])
async def delete_dataset(datasetId: DatasetId, request: Request, caller: Caller) -> dict[str, Any]:
    """Delete the dataset and its rows (the logged requests stay)."""
    store = datasets_of(request).store
    if not await asyncio.to_thread(store.delete, caller.organization_id, datasetId):
        raise NotFoundError(DATASET_NOT_FOUND)
    return ok(None)

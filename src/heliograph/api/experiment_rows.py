"""REST: an experiment's rows (Helicone's /v2/experiment/{id}/...): add inputs typed in,
rows made from logged requests or from a dataset, change a row's inputs, remove rows."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.experiments import ExperimentId, experiments_of
from heliograph.api.schemas.envelope import UUID_PATTERN, Envelope, ok
from heliograph.api.schemas.experiments import (
    DeleteRows,
    ManualRow,
    ManualRows,
    RowBatch,
    RowUpdate,
)
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.experiments.rows import NewRow
from heliograph.experiments.rules import EXPERIMENT_NOT_FOUND, ROW_NOT_FOUND, checked_inputs
from heliograph.experiments.sources import add_rows, rows_from_dataset

router = APIRouter(tags=["Experiment"])


@router.post("/v2/experiment/{experimentId}/add-manual-row", response_model=Envelope[str])
async def add_manual_row(
    experimentId: ExperimentId, body: ManualRow, request: Request, caller: Caller
) -> dict[str, Any]:
    """A row of inputs; answers its id."""
    row = NewRow(checked_inputs(body.inputs))
    (row_id,) = await add_rows(experiments_of(request), caller.organization_id, experimentId, [row])
    return ok(row_id)


@router.post("/v2/experiment/{experimentId}/add-manual-rows-batch", response_model=Envelope[None])
async def add_manual_rows(
    experimentId: ExperimentId, body: ManualRows, request: Request, caller: Caller
) -> dict[str, Any]:
    rows = [NewRow(checked_inputs(inputs, f"inputs[{i}]")) for i, inputs in enumerate(body.inputs)]
    await add_rows(experiments_of(request), caller.organization_id, experimentId, rows)
    return ok(None)


@router.delete("/v2/experiment/{experimentId}/rows", response_model=Envelope[None])
async def delete_rows(
    experimentId: ExperimentId, body: DeleteRows, request: Request, caller: Caller
) -> dict[str, Any]:
    """Remove rows with their outputs (their calls stay logged)."""
    rows = experiments_of(request).rows
    ids = [row_id.lower() for row_id in body.inputRecordIds]
    if not await asyncio.to_thread(rows.delete, caller.organization_id, experimentId, ids):
        raise NotFoundError(EXPERIMENT_NOT_FOUND)
    return ok(None)


@router.post("/v2/experiment/{experimentId}/row/insert/batch", response_model=Envelope[None])
async def insert_rows(
    experimentId: ExperimentId, body: RowBatch, request: Request, caller: Caller
) -> dict[str, Any]:
    """Rows of inputs, each from the logged request `inputRecordId` names (which becomes
    the row's original output)."""
    experiments = experiments_of(request)
    rows = [
        NewRow(
            checked_inputs(row.inputs, f"rows[{i}].inputs"),
            row.autoInputs,
            source_request_id=row.inputRecordId.lower(),
        )
        for i, row in enumerate(body.rows)
    ]
    await add_rows(experiments, caller.organization_id, experimentId, rows)
    return ok(None)


@router.post(
    "/v2/experiment/{experimentId}/row/insert/dataset/{datasetId}", response_model=Envelope[None]
)
async def insert_dataset_rows(
    experimentId: ExperimentId,
    datasetId: Annotated[str, Path(pattern=UUID_PATTERN)],
    request: Request,
    caller: Caller,
) -> dict[str, Any]:
    """A row per row of the dataset: its inputs, and its request as the original output."""
    await rows_from_dataset(
        experiments_of(request),
        services_of(request).datasets,
        caller.organization_id,
        experimentId,
        datasetId,
    )
    return ok(None)


@router.post("/v2/experiment/{experimentId}/row/update", response_model=Envelope[None])
async def update_row(
    experimentId: ExperimentId, body: RowUpdate, request: Request, caller: Caller
) -> dict[str, Any]:
    """New inputs for a row: its outputs stay, the next run makes new ones for it."""
    experiments = experiments_of(request)
    await experiments.owned(caller.organization_id, experimentId)
    inputs = checked_inputs(body.inputs)
    if not await asyncio.to_thread(
        experiments.rows.update,
        caller.organization_id,
        experimentId,
        body.inputRecordId.lower(),
        inputs,
    ):
        raise NotFoundError(ROW_NOT_FOUND)
    return ok(None)

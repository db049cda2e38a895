"""REST: a Helicone dataset's rows with their bodies, its exports (OpenAI fine-tuning JSONL,
CSV, JSON; streamed) and imports (JSONL, CSV)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from heliograph.api.auth import Caller
from heliograph.api.datasets import DatasetId, datasets_of
from heliograph.api.schemas.datasets import DatasetImport, DatasetRowOut, Imported, RowsQuery
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.datasets.export import MEDIA_TYPES, export_chunks, export_name, row_answer
from heliograph.datasets.importing import IMPORTERS
from heliograph.datasets.rules import DATASET_NOT_FOUND
from heliograph.errors import NotFoundError

router = APIRouter(tags=["Dataset"])
EXPORT_CONTENT = {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()}


@router.post("/v1/helicone-dataset/{datasetId}/query", response_model=Envelope[list[DatasetRowOut]])
async def query_rows(
    datasetId: DatasetId, body: RowsQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    """A page of the dataset's rows, newest first, each with its copies of the request and
    response bodies (at most 100 a page)."""
    rows = datasets_of(request).rows
    page = await asyncio.to_thread(
        rows.newest, caller.organization_id, datasetId, body.offset, body.limit
    )
    if page is None:
        raise NotFoundError(DATASET_NOT_FOUND)
    return ok([row_answer(row) for row in page])


@router.get(
    "/v1/helicone-dataset/{datasetId}/export",
    response_class=StreamingResponse,
    responses={200: {"description": "The dataset as a file", "content": EXPORT_CONTENT}},
)
async def export_dataset(
    datasetId: DatasetId,
    request: Request,
    caller: Caller,
    format: Annotated[Literal["jsonl", "csv", "json"], Query()] = "jsonl",
) -> StreamingResponse:
    """The whole dataset, oldest row first, streamed: `jsonl` is OpenAI's fine-tuning format
    (`{"messages": [...]}` a line; rows without a chat answer are left out), `csv` has
    request_id, created_at, model, prompt_tokens, completion_tokens, cost, user_message and
    assistant_response, `json` is an array of the rows /query answers."""
    info = await datasets_of(request).owned(caller.organization_id, datasetId)
    chunks = export_chunks(datasets_of(request).rows, caller.organization_id, datasetId, format)
    filename = export_name(info.name, format)
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/v1/helicone-dataset/{datasetId}/import", response_model=Envelope[Imported])
async def import_rows(
    datasetId: DatasetId, body: DatasetImport, request: Request, caller: Caller
) -> dict[str, Any]:
    """Add rows from a file's content: OpenAI fine-tuning JSONL (or the JSON export's rows,
    one a line) or CSV with user_message and assistant_response columns. All or nothing."""
    datasets = datasets_of(request)
    await datasets.owned(caller.organization_id, datasetId)
    copies = await asyncio.to_thread(IMPORTERS[body.format], body.content)
    added = await asyncio.to_thread(datasets.rows.add, caller.organization_id, datasetId, copies)
    return ok({"imported": len(added)})

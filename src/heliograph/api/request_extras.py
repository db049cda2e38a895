"""REST: what else Helicone reads of one logged request: the prompt inputs it was filled
with (`GET /v1/request/{requestId}/inputs`) and one of its assets, an image in its bodies
(`/v1/request/{requestId}/assets/{assetId}`, POST as Helicone documents it, GET too)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.requests import REQUEST_NOT_FOUND, RequestId
from heliograph.api.schemas.envelope import REQUEST_ID_SCHEMA, Answer, Envelope, ok
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.helicone_headers import valid_uuid
from heliograph.meta.keys import Principal
from heliograph.store.prompt_inputs import request_prompt
from heliograph.store.requests import get_request

router = APIRouter(tags=["Request"])
ASSET_NOT_FOUND = "Asset not found"

AssetId = Annotated[str, Path(json_schema_extra=REQUEST_ID_SCHEMA | {"description": "An asset id"})]


class RequestInputs(Answer):
    """Helicone's answer: the inputs, the prompt and version they filled, its environment."""

    inputs: dict[str, Any]
    prompt_id: str
    version_id: str
    environment: str | None = None


class RequestAsset(Answer):
    """Helicone's `HeliconeRequestAsset`."""

    assetUrl: str


@router.get("/v1/request/{request_id}/inputs", response_model=Envelope[RequestInputs | None])
async def request_inputs(request_id: RequestId, request: Request, caller: Reader) -> dict[str, Any]:
    """The prompt inputs (variables) a logged request was filled with: a saved prompt's, when
    the gateway assembled the request from it (`prompt_id` and `inputs` in the body), else a
    legacy prompt's (`Helicone-Prompt-Id`, its `prompt_id`). `data` is null when the request
    has none, or is not one of the caller's organization. `environment` is null: the row
    keeps the version that ran, not the environment asked for."""
    canonical = valid_uuid(request_id)
    if canonical is None:
        return ok(None)
    services = services_of(request)
    organization_id = caller.organization_id
    saved = await request_prompt(services.engine, organization_id, canonical)
    if saved is not None:
        return ok(
            {"inputs": saved.inputs, "prompt_id": saved.prompt_id, "version_id": saved.version_id}
        )
    reads = services.prompts.legacy.reads
    legacy = await asyncio.to_thread(reads.request_inputs, organization_id, canonical)
    if legacy is None:
        return ok(None)
    user_defined_id, recorded = legacy
    return ok(
        {"inputs": recorded.inputs, "prompt_id": user_defined_id, "version_id": recorded.version_id}
    )


async def _asset(
    request: Request, caller: Principal, request_id: str, asset_id: str
) -> dict[str, Any]:
    canonical = valid_uuid(request_id)
    row = None
    if canonical is not None:
        row = await get_request(services_of(request).engine, caller.organization_id, canonical)
    if row is None:
        raise NotFoundError(REQUEST_NOT_FOUND)
    url = row["asset_urls"].get(valid_uuid(asset_id) or "")
    if url is None:
        raise NotFoundError(ASSET_NOT_FOUND)
    return ok({"assetUrl": url})


ASSET_DOC = (
    "The URL of one image in a logged request's bodies (an id of its `asset_ids`): the image's "
    "own http(s) URL, or a `data:` URL for an image sent inline; 404 for an unknown request "
    "or asset."
)


@router.post(
    "/v1/request/{request_id}/assets/{asset_id}",
    response_model=Envelope[RequestAsset],
    description=ASSET_DOC,
)
async def post_asset(
    request_id: RequestId, asset_id: AssetId, request: Request, caller: Reader
) -> dict[str, Any]:
    """Helicone's GetRequestAssetById."""
    return await _asset(request, caller, request_id, asset_id)


@router.get(
    "/v1/request/{request_id}/assets/{asset_id}",
    response_model=Envelope[RequestAsset],
    description=ASSET_DOC,
)
async def get_asset(
    request_id: RequestId, asset_id: AssetId, request: Request, caller: Reader
) -> dict[str, Any]:
    """The same as POST, for clients that read it with GET."""
    return await _asset(request, caller, request_id, asset_id)

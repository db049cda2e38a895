"""REST: logged requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from heliograph.api.auth import require_principal
from heliograph.errors import NotFoundError
from heliograph.gateway.headers import valid_uuid
from heliograph.meta.keys import Principal
from heliograph.store.requests import get_request

router = APIRouter()
REQUEST_NOT_FOUND = "Request not found"


@router.get("/v1/request/{request_id}")
async def read_request(
    request_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require_principal)],
) -> dict[str, Any]:
    """One logged request of the caller's organization, in Helicone's request-row shape."""
    canonical = valid_uuid(request_id)
    if canonical is None:
        raise NotFoundError(REQUEST_NOT_FOUND)
    row = await get_request(request.app.state.services.engine, principal.organization_id, canonical)
    if row is None:
        raise NotFoundError(REQUEST_NOT_FOUND)
    return {"data": row, "error": None}

"""REST: cache administration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from heliograph.api.auth import require_principal
from heliograph.meta.keys import Principal

router = APIRouter(tags=["Cache"])


@router.delete("/v1/cache")
async def clear_cache(
    request: Request, caller: Annotated[Principal, Depends(require_principal)]
) -> dict[str, Any]:
    """Forget every cached response of the caller's organization."""
    cleared = await request.app.state.services.cache.clear(caller.organization_id)
    return {"data": {"cleared": cleared}, "error": None}

"""REST: Helicone's provider-key routes (`/v1/api-keys/provider-key(s)`, Jawn's
ApiKeyController): the organization's encrypted provider keys, the same ones as the vault's
and `/v1/provider-keys`, never answered in full."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.provider_keys import known_provider
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.helicone_provider_keys import (
    CreateProviderKeyRequest,
    ProviderKeyChanged,
    ProviderKeyCreated,
    ProviderKeyRow,
    UpdateProviderKeyRequest,
)
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.meta.keys import Principal
from heliograph.meta.provider_keys import ProviderKeyInfo

router = APIRouter(prefix="/v1/api-keys", tags=["API keys"])
KEY_NOT_FOUND = "Provider key not found"


def _row(info: ProviderKeyInfo, caller: Principal) -> dict[str, Any]:
    return {
        "id": info.id,
        "org_id": caller.organization_id,
        "provider_name": info.provider,
        "provider_key_name": info.name,
        "provider_key": info.preview,
        "created_at": info.created_at.isoformat(),
        "soft_delete": False,
        "byok_enabled": info.active,
    }


@router.post("/provider-key", response_model=ProviderKeyCreated)
async def create_provider_key(
    request: Request, caller: Caller, body: CreateProviderKeyRequest
) -> dict[str, Any]:
    provider = known_provider(request, body.providerName)
    info = await asyncio.to_thread(
        services_of(request).provider_keys.add,
        caller.organization_id,
        provider,
        body.providerKey,
        body.providerKeyName.strip(),
    )
    return {**ok({"id": info.id}), "id": info.id}


@router.get("/provider-keys", response_model=Envelope[list[ProviderKeyRow]])
async def get_provider_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's provider keys, newest first, as previews."""
    keys = await asyncio.to_thread(
        services_of(request).provider_keys.list_keys, caller.organization_id
    )
    return ok([_row(info, caller) for info in reversed(keys)])


@router.get("/provider-key/{providerKeyId}", response_model=Envelope[ProviderKeyRow])
async def get_provider_key(providerKeyId: str, request: Request, caller: Caller) -> dict[str, Any]:
    info = await asyncio.to_thread(
        services_of(request).provider_keys.get, caller.organization_id, providerKeyId
    )
    if info is None:
        raise NotFoundError(KEY_NOT_FOUND)
    return ok(_row(info, caller))


@router.patch("/provider-key/{providerKeyId}", response_model=ProviderKeyChanged)
async def update_provider_key(
    providerKeyId: str, request: Request, caller: Caller, body: UpdateProviderKeyRequest
) -> dict[str, Any]:
    """Replace the key's secret."""
    info = await asyncio.to_thread(
        services_of(request).provider_keys.update,
        caller.organization_id,
        providerKeyId,
        key=body.providerKey,
    )
    if info is None:
        raise NotFoundError(KEY_NOT_FOUND)
    answer = {"id": info.id, "providerName": info.provider}
    return {**ok(answer), **answer}


@router.delete("/provider-key/{providerKeyId}", response_model=ProviderKeyChanged)
async def delete_provider_key(
    providerKeyId: str, request: Request, caller: Caller
) -> dict[str, Any]:
    store = services_of(request).provider_keys
    info = await asyncio.to_thread(store.get, caller.organization_id, providerKeyId)
    if info is None or not await asyncio.to_thread(
        store.delete, caller.organization_id, providerKeyId
    ):
        raise NotFoundError(KEY_NOT_FOUND)
    answer = {"id": info.id, "providerName": info.provider}
    return {**ok(answer), **answer}

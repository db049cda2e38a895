"""REST: Helicone's vault (`/v1/vault/*`): add, list, read and update the organization's
provider keys. The same encrypted keys as `/v1/provider-keys` (meta/provider_keys.py), not a
second store; a key is only ever answered as its preview."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.provider_keys import known_provider
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.vault import AddVaultKeyParams, VaultKey, VaultKeyChange, VaultKeyId
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.meta.keys import Principal
from heliograph.meta.provider_keys import ProviderKeyInfo

router = APIRouter(prefix="/v1/vault", tags=["Vault"])
# One answer for "no such key" and "another organization's key": no existence oracle.
KEY_NOT_FOUND = "Provider key not found"
UNTITLED = "Untitled"  # Helicone's name for a key added without one


def _shown(info: ProviderKeyInfo, caller: Principal) -> dict[str, Any]:
    return {
        "id": info.id,
        "org_id": caller.organization_id,
        "provider_key": info.preview,
        "provider_name": info.provider,
        "provider_key_name": info.name,
        "provider_secret_key": None,
        "active": info.active,
        "created_at": info.created_at.isoformat(),
    }


@router.post("/add", status_code=201, response_model=Envelope[VaultKeyId])
async def add_key(request: Request, caller: Caller, body: AddVaultKeyParams) -> dict[str, Any]:
    """Store a provider key; the gateway uses the newest active key of each provider."""
    provider = known_provider(request, body.provider)
    name = body.name.strip() if body.name and body.name.strip() else UNTITLED
    info = await asyncio.to_thread(
        services_of(request).provider_keys.add, caller.organization_id, provider, body.key, name
    )
    return ok({"id": info.id})


@router.get("/keys", response_model=Envelope[list[VaultKey]])
async def get_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's provider keys, newest first, as previews."""
    keys = await asyncio.to_thread(
        services_of(request).provider_keys.list_keys, caller.organization_id
    )
    return ok([_shown(info, caller) for info in reversed(keys)])


@router.get("/key/{providerKeyId}", response_model=Envelope[VaultKey])
async def get_key_by_id(providerKeyId: str, request: Request, caller: Caller) -> dict[str, Any]:
    info = await asyncio.to_thread(
        services_of(request).provider_keys.get, caller.organization_id, providerKeyId
    )
    if info is None:
        raise NotFoundError(KEY_NOT_FOUND)
    return ok(_shown(info, caller))


@router.patch("/update/{id}", response_model=Envelope[None])
async def update_key(
    id: str, request: Request, caller: Caller, body: VaultKeyChange
) -> dict[str, Any]:
    """Replace the key, rename it, or set `active` (an inactive key is kept but not used)."""
    name = None if body.name is None else (body.name.strip() or UNTITLED)
    changed = await asyncio.to_thread(
        services_of(request).provider_keys.update,
        caller.organization_id,
        id,
        key=body.key,
        name=name,
        active=body.active,
    )
    if changed is None:
        raise NotFoundError(KEY_NOT_FOUND)
    return ok(None)

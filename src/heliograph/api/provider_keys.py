"""REST: an organization's own provider keys (bring your own key) for the gateway."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.gateway import NewProviderKey, ProviderKey
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.provider_keys import ProviderKeyInfo

router = APIRouter(tags=["Provider keys"])


def _shown(info: ProviderKeyInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "provider": info.provider,
        "name": info.name,
        "preview": info.preview,
        "created_at": info.created_at.isoformat(),
    }


def known_provider(request: Request, name: str) -> str:
    """`name` as the gateway knows the provider (lower case), or a 400 listing them."""
    providers = services_of(request).router.providers
    provider = name.strip().lower()
    if provider not in providers:
        raise InvalidRequestError(
            f"Unknown provider {provider!r}; one of {', '.join(sorted(providers))}"
        )
    return provider


@router.post("/v1/provider-keys", response_model=Envelope[ProviderKey])
async def add_provider_key(
    request: Request, caller: Caller, body: NewProviderKey
) -> dict[str, Any]:
    """Store a provider key for the caller's organization; it is tried before the server's."""
    provider = known_provider(request, body.provider)
    info = await asyncio.to_thread(
        services_of(request).provider_keys.add,
        caller.organization_id,
        provider,
        body.key,
        body.name,
    )
    return ok(_shown(info))


@router.get("/v1/provider-keys", response_model=Envelope[list[ProviderKey]])
async def list_provider_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's provider keys, as previews only."""
    keys = await asyncio.to_thread(
        services_of(request).provider_keys.list_keys, caller.organization_id
    )
    return ok([_shown(info) for info in keys])


@router.delete("/v1/provider-keys/{key_id}", response_model=Envelope[None])
async def delete_provider_key(key_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    deleted = await asyncio.to_thread(
        services_of(request).provider_keys.delete, caller.organization_id, key_id
    )
    if not deleted:
        raise NotFoundError("Provider key not found")
    return ok(None)

"""REST: Helicone's proxy keys (`POST /v1/api-keys/proxy-key`): a key that stands for one of
the organization's provider keys on the passthrough routes (gateway/proxy_keys.py), so that
whoever holds it never holds the provider's key. Listing and deleting them are Heliograph's."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.proxy_keys import CreatedProxyKeyAnswer, NewProxyKey, ProxyKeyRow
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.meta.names import checked_name
from heliograph.meta.proxy_keys import ProxyKeyStore

router = APIRouter(prefix="/v1/api-keys", tags=["API keys"])


def _proxy_keys(request: Request) -> ProxyKeyStore:
    store = services_of(request).keys.proxy_keys
    assert store is not None, "the server's key store is built with its proxy keys"
    return store


@router.post("/proxy-key", response_model=CreatedProxyKeyAnswer)
async def create_proxy_key(request: Request, caller: Caller, body: NewProxyKey) -> dict[str, Any]:
    """A proxy key for one of the organization's provider keys; shown in full this once."""
    name = checked_name("proxyKeyName", body.proxyKeyName)
    created = await asyncio.to_thread(
        _proxy_keys(request).create, caller.organization_id, body.providerKeyId, name
    )
    if created is None:
        raise NotFoundError("Provider key not found")
    answer = {"proxyKey": created.key, "proxyKeyId": created.info.id}
    return {**ok(answer), **answer}


@router.get("/proxy-keys", response_model=Envelope[list[ProxyKeyRow]])
async def list_proxy_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """**Heliograph**: the organization's proxy keys, newest first, as previews."""
    keys = await asyncio.to_thread(_proxy_keys(request).list_keys, caller.organization_id)
    return ok(
        [
            {
                "id": info.id,
                "helicone_proxy_key_name": info.name,
                "preview": info.preview,
                "org_id": caller.organization_id,
                "provider_key_id": info.provider_key_id,
                "provider_name": info.provider,
                "created_at": info.created_at.isoformat(),
            }
            for info in keys
        ]
    )


@router.delete("/proxy-key/{proxyKeyId}", response_model=Envelope[None])
async def delete_proxy_key(proxyKeyId: str, request: Request, caller: Caller) -> dict[str, Any]:
    """**Heliograph**: delete a proxy key; it stops working at once."""
    deleted = await asyncio.to_thread(
        _proxy_keys(request).delete, caller.organization_id, proxyKeyId
    )
    if not deleted:
        raise NotFoundError("Proxy key not found")
    return ok(None)

"""REST: an organization's Heliograph API keys (list, create, revoke) for the dashboard.

A new key is shown in full once, in the creation answer; afterwards only its preview. The
key the server was started with (`HELIOGRAPH_API_KEY`) cannot be revoked here: it would be
stored again at the next start, so it is changed in the configuration instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.api_keys import ApiKey, CreatedApiKey, NewApiKey
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.keys import ApiKeyInfo, Principal, hash_key
from heliograph.meta.names import checked_name

router = APIRouter(tags=["API keys"])
KEY_NOT_FOUND = "API key not found"


def _configured_hash(request: Request) -> str | None:
    configured: str = services_of(request).settings.api_key
    return hash_key(configured) if configured else None


def _shown(info: ApiKeyInfo, caller: Principal, configured: str | None) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "preview": info.preview,
        "created_at": info.created_at.isoformat(),
        "current": info.id == caller.key_id,  # the key this session signed in with
        "configured": info.key_hash == configured,
    }


@router.get("/v1/api-keys", response_model=Envelope[list[ApiKey]])
async def list_api_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's live API keys, as previews."""
    keys = await asyncio.to_thread(services_of(request).keys.list_keys, caller.organization_id)
    configured = _configured_hash(request)
    return ok([_shown(info, caller, configured) for info in keys])


@router.post("/v1/api-keys", response_model=Envelope[CreatedApiKey])
async def create_api_key(request: Request, caller: Caller, body: NewApiKey) -> dict[str, Any]:
    """A new key for the caller's organization; the answer holds the full key, once."""
    name = checked_name("name", body.name)  # before the thread: a bad name is a plain 400
    created = await asyncio.to_thread(
        services_of(request).keys.create_in, caller.organization_id, name
    )
    return ok({"id": created.key_id, "name": created.name, "apiKey": created.key})


@router.delete("/v1/api-keys/{key_id}", response_model=Envelope[None])
async def revoke_api_key(key_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Revoke a key at once; sessions signed in with it end too."""
    keys = services_of(request).keys
    listed = await asyncio.to_thread(keys.list_keys, caller.organization_id)
    found = next((info for info in listed if info.id == key_id), None)
    if found is None:
        raise NotFoundError(KEY_NOT_FOUND)
    if found.key_hash == _configured_hash(request):
        raise InvalidRequestError(
            "This key is the server's configured key (HELIOGRAPH_API_KEY); change it there"
        )
    if not await asyncio.to_thread(keys.revoke, caller.organization_id, key_id):
        raise NotFoundError(KEY_NOT_FOUND)
    return ok(None)

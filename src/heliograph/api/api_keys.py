"""REST: an organization's Heliograph API keys (list, create, rename or re-permission,
revoke), in Helicone's shapes (`/v1/api-keys`) and the dashboard's.

A new key is shown in full once, in the creation answer; afterwards only its preview. The
key the server was started with (`HELIOGRAPH_API_KEY`) cannot be revoked or re-permissioned
here: it would be stored again at the next start, so it is changed in the configuration.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.api_keys import (
    ApiKey,
    ApiKeyChange,
    ChangedApiKeyAnswer,
    CreatedApiKeyAnswer,
    NewApiKey,
)
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.keys import ApiKeyInfo, Principal, hash_key
from heliograph.meta.names import checked_name

router = APIRouter(tags=["API keys"])
KEY_NOT_FOUND = "API key not found"
CONFIGURED_KEY = "This key is the server's configured key (HELIOGRAPH_API_KEY); change it there"


def _configured_hash(request: Request) -> str | None:
    configured: str = services_of(request).settings.api_key
    return hash_key(configured) if configured else None


def _shown(info: ApiKeyInfo, caller: Principal, configured: str | None) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "api_key_name": info.name,
        "preview": info.preview,
        "api_key_hash": info.key_hash,
        "key_permissions": info.permissions,
        "organization_id": caller.organization_id,
        "created_at": info.created_at.isoformat(),
        "soft_delete": False,
        "temp_key": False,
        "current": info.id == caller.key_id,  # the key this session signed in with
        "configured": info.key_hash == configured,
    }


def _one_name(api_key_name: str | None, name: str | None) -> str | None:
    """The name sent as Helicone's `api_key_name` or as `name` (one of them at most)."""
    if api_key_name is not None and name is not None:
        raise InvalidRequestError("Send api_key_name or name, not both")
    chosen = api_key_name if api_key_name is not None else name
    field = "api_key_name" if api_key_name is not None else "name"
    return None if chosen is None else checked_name(field, chosen)


@router.get("/v1/api-keys", response_model=Envelope[list[ApiKey]])
async def list_api_keys(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's live API keys, as previews."""
    keys = await asyncio.to_thread(services_of(request).keys.list_keys, caller.organization_id)
    configured = _configured_hash(request)
    return ok([_shown(info, caller, configured) for info in keys])


@router.post("/v1/api-keys", response_model=CreatedApiKeyAnswer)
async def create_api_key(request: Request, caller: Caller, body: NewApiKey) -> dict[str, Any]:
    """A new key for the caller's organization (`key_permissions` "rw" unless given); the
    answer holds the full key, once."""
    name = _one_name(body.api_key_name, body.name)  # before the thread: a plain 400
    if name is None:
        raise InvalidRequestError("api_key_name is required")
    created = await asyncio.to_thread(
        services_of(request).keys.create_in, caller.organization_id, name, body.key_permissions
    )
    answer = {"id": created.key_id, "apiKey": created.key, "hashedKey": created.key_hash}
    data = {**answer, "name": created.name, "key_permissions": created.permissions}
    return {**ok(data), **answer}


async def _changeable(request: Request, caller: Principal, key_id: str) -> ApiKeyInfo:
    listed = await asyncio.to_thread(services_of(request).keys.list_keys, caller.organization_id)
    found = next((info for info in listed if info.id == key_id), None)
    if found is None:
        raise NotFoundError(KEY_NOT_FOUND)
    return found


@router.patch("/v1/api-keys/{key_id}", response_model=ChangedApiKeyAnswer)
async def update_api_key(
    key_id: str, request: Request, caller: Caller, body: ApiKeyChange
) -> dict[str, Any]:
    """Rename a key (Helicone's `api_key_name`) or change its `key_permissions`; both take
    effect at once, for the key and for dashboard sessions signed in with it."""
    name = _one_name(body.api_key_name, body.name)
    if name is None and body.key_permissions is None:
        raise InvalidRequestError("Send api_key_name and/or key_permissions")
    found = await _changeable(request, caller, key_id)
    configured = _configured_hash(request)
    if body.key_permissions is not None and found.key_hash == configured:
        raise InvalidRequestError(CONFIGURED_KEY)
    changed = await asyncio.to_thread(
        services_of(request).keys.update,
        caller.organization_id,
        key_id,
        name=name,
        permissions=body.key_permissions,
    )
    if changed is None:
        raise NotFoundError(KEY_NOT_FOUND)
    return {**ok(_shown(changed, caller, configured)), "hashedKey": changed.key_hash}


@router.delete("/v1/api-keys/{key_id}", response_model=ChangedApiKeyAnswer)
async def revoke_api_key(key_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Revoke a key at once; sessions signed in with it end too."""
    found = await _changeable(request, caller, key_id)
    if found.key_hash == _configured_hash(request):
        raise InvalidRequestError(CONFIGURED_KEY)
    keys = services_of(request).keys
    if not await asyncio.to_thread(keys.revoke, caller.organization_id, key_id):
        raise NotFoundError(KEY_NOT_FOUND)
    return {**ok(None), "hashedKey": found.key_hash}

"""REST: prompts (Helicone's /v1/prompt-2025): create, find, rename, tag, delete, count.

Versions, environments and bodies are in prompt_versions.py. Every call sees only the
caller's organization: another organization's prompt is a 404, as a missing one is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.prompts import (
    NewPrompt,
    PromptCreated,
    PromptOut,
    PromptQuery,
    Rename,
    TagsUpdate,
)
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.prompts.rules import MAX_ID_CHARS, PLAIN_PATTERN, clean_tags, js_iso
from heliograph.prompts.service import PROMPT_NOT_FOUND, Prompts
from heliograph.prompts.store import PromptInfo
from heliograph.prompts.store import PromptQuery as StoreQuery

router = APIRouter(tags=["Prompts"])
PromptId = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=PLAIN_PATTERN)]


def prompts_of(request: Request) -> Prompts:
    prompts: Prompts = services_of(request).prompts
    return prompts


def _shown(info: PromptInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "tags": info.tags,
        "created_at": js_iso(info.created_at),
    }


@router.post("/v1/prompt-2025", status_code=201, response_model=Envelope[PromptCreated])
async def create_prompt(body: NewPrompt, request: Request, caller: Caller) -> dict[str, Any]:
    """Create a prompt with its first version (0.0, commit message "First version."), which
    serves production. Answers the prompt's id and the version's id."""
    prompt_body = body.promptBody.as_json()
    prompt_id, version_id = await prompts_of(request).create(
        caller.organization_id, body.name, body.tags, prompt_body
    )
    return ok({"id": prompt_id, "versionId": version_id})


@router.post("/v1/prompt-2025/query", response_model=Envelope[list[PromptOut]])
async def query_prompts(body: PromptQuery, request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's prompts, newest first, a page at a time."""
    store = prompts_of(request).store
    query = StoreQuery(body.search, body.tagsFilter, body.page, body.pageSize)
    found = await asyncio.to_thread(store.query, caller.organization_id, query)
    return ok([_shown(info) for info in found])


@router.get("/v1/prompt-2025/id/{promptId}", response_model=Envelope[PromptOut])
async def get_prompt(promptId: PromptId, request: Request, caller: Caller) -> dict[str, Any]:
    info = await asyncio.to_thread(prompts_of(request).store.get, caller.organization_id, promptId)
    if info is None:
        raise NotFoundError(PROMPT_NOT_FOUND)
    return ok(_shown(info))


@router.post("/v1/prompt-2025/id/{promptId}/rename", response_model=Envelope[None])
async def rename_prompt(
    promptId: PromptId, body: Rename, request: Request, caller: Caller
) -> dict[str, Any]:
    store = prompts_of(request).store
    if not await asyncio.to_thread(store.rename, caller.organization_id, promptId, body.name):
        raise NotFoundError(PROMPT_NOT_FOUND)
    return ok(None)


@router.patch("/v1/prompt-2025/id/{promptId}/tags", response_model=Envelope[list[str]])
async def set_prompt_tags(
    promptId: PromptId, body: TagsUpdate, request: Request, caller: Caller
) -> dict[str, Any]:
    """Replace every tag of the prompt; answers the tags kept (trimmed, no empty ones or
    repeats)."""
    tags = clean_tags(body.tags)
    store = prompts_of(request).store
    if not await asyncio.to_thread(store.set_tags, caller.organization_id, promptId, tags):
        raise NotFoundError(PROMPT_NOT_FOUND)
    return ok(tags)


@router.delete("/v1/prompt-2025/{promptId}", response_model=Envelope[None])
async def delete_prompt(promptId: PromptId, request: Request, caller: Caller) -> dict[str, Any]:
    """Delete the prompt with every version, environment and body."""
    await prompts_of(request).delete_prompt(caller.organization_id, promptId)
    return ok(None)


@router.get("/v1/prompt-2025/count", response_model=Envelope[int])
async def count_prompts(request: Request, caller: Caller) -> dict[str, Any]:
    store = prompts_of(request).store
    return ok(await asyncio.to_thread(store.count, caller.organization_id))


@router.get("/v1/prompt-2025/tags", response_model=Envelope[list[str]])
async def prompt_tags(request: Request, caller: Caller) -> dict[str, Any]:
    """Every tag of the organization's prompts, sorted (the first 1000)."""
    store = prompts_of(request).store
    return ok(await asyncio.to_thread(store.tags, caller.organization_id))


@router.get("/v1/prompt-2025/environments", response_model=Envelope[list[str]])
async def prompt_environments(request: Request, caller: Caller) -> dict[str, Any]:
    """Every environment name the organization's prompts use, sorted (the first 1000)."""
    store = prompts_of(request).store
    return ok(await asyncio.to_thread(store.environments, caller.organization_id))

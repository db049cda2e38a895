"""REST: Helicone's legacy prompts (`/v1/prompt/...`, its jawn `PromptController`), which
logged calls carrying `Helicone-Prompt-Id` make (prompts/legacy/): find prompts, a prompt,
its versions, a version's inputs, and compile the newest version with inputs.

Every call sees only the caller's organization: another organization's prompt or version
is a 404, as a missing one is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import true

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.legacy_prompts import (
    CompiledOut,
    CompileQuery,
    InputsQuery,
    LegacyInputOut,
    LegacyPromptDetailOut,
    LegacyPromptOut,
    LegacyVersionOut,
    PromptQuery,
    PromptsQuery,
    VersionsQuery,
)
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.prompts.legacy.filters import PROMPTS, VERSIONS, condition
from heliograph.prompts.legacy.reads import (
    MAX_LISTED_VERSIONS,
    LegacyInputInfo,
    LegacyPromptInfo,
    LegacyReads,
    LegacyVersionInfo,
)
from heliograph.prompts.legacy.service import (
    MAX_USER_DEFINED_ID_CHARS,
    PROMPT_NOT_FOUND,
    VERSION_NOT_FOUND,
    LegacyPrompts,
)
from heliograph.prompts.rules import MAX_ID_CHARS, PLAIN_PATTERN, js_iso

router = APIRouter(tags=["Prompts (legacy)"])
Id = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=PLAIN_PATTERN)]
UserDefinedId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_USER_DEFINED_ID_CHARS,
        pattern=PLAIN_PATTERN,
        description="The Helicone-Prompt-Id the prompt was logged with",
    ),
]


def _legacy(request: Request) -> LegacyPrompts:
    legacy: LegacyPrompts = services_of(request).prompts.legacy
    return legacy


def _prompt(info: LegacyPromptInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "user_defined_id": info.user_defined_id,
        "description": None,
        "pretty_name": None,
        "created_at": js_iso(info.created_at),
        "major_version": info.major_version,
    }


def _version(version: LegacyVersionInfo) -> dict[str, Any]:
    return {
        "id": version.id,
        "minor_version": version.minor_version,
        "major_version": version.major_version,
        "prompt_v2": version.prompt_id,
        "model": version.model,
        "helicone_template": version.template,
        "created_at": js_iso(version.created_at),
        "metadata": {"isProduction": True} if version.newest else {},
    }


def _input(found: LegacyInputInfo) -> dict[str, Any]:
    return {
        "id": found.id,
        "inputs": found.inputs,
        "source_request": found.request_id,
        "prompt_version": found.version_id,
        "created_at": js_iso(found.created_at),
        "auto_prompt_inputs": found.auto_inputs,
    }


@router.post("/v1/prompt/query", response_model=Envelope[list[LegacyPromptOut]])
async def query_prompts(body: PromptsQuery, request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's legacy prompts matching the filter, newest first."""
    where = condition(body.filter, PROMPTS)
    reads = _legacy(request).reads
    found = await asyncio.to_thread(reads.prompts, caller.organization_id, where)
    return ok([_prompt(info) for info in found])


def _detail(reads: LegacyReads, organization_id: str, prompt_id: str) -> dict[str, Any]:
    info = reads.prompt(organization_id, prompt_id)
    if info is None:
        raise NotFoundError(PROMPT_NOT_FOUND)
    versions = reads.versions(organization_id, prompt_id, true(), MAX_LISTED_VERSIONS)
    newest = versions[0]  # a prompt is made with its first version
    last_used = reads.last_used(organization_id, newest.id)
    return _prompt(info) | {
        "latest_version_id": newest.id,
        "latest_model_used": newest.model,
        "last_used": None if last_used is None else js_iso(last_used),
        "versions": [version.id for version in versions],
    }


@router.post("/v1/prompt/{promptId}/query", response_model=Envelope[LegacyPromptDetailOut])
async def get_prompt(
    promptId: Id, request: Request, caller: Caller, body: PromptQuery | None = None
) -> dict[str, Any]:
    """One prompt, with its newest version and its version ids."""
    reads = _legacy(request).reads
    return ok(await asyncio.to_thread(_detail, reads, caller.organization_id, promptId))


def _versions(
    reads: LegacyReads, organization_id: str, prompt_id: str, query: VersionsQuery
) -> list[dict[str, Any]]:
    where = condition(query.filter, VERSIONS)
    if reads.prompt(organization_id, prompt_id) is None:
        raise NotFoundError(PROMPT_NOT_FOUND)
    found = reads.versions(organization_id, prompt_id, where, MAX_LISTED_VERSIONS)
    return [_version(version) for version in found]


@router.post(
    "/v1/prompt/{promptId}/versions/query", response_model=Envelope[list[LegacyVersionOut]]
)
async def query_versions(
    promptId: Id, body: VersionsQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    """The prompt's versions matching the filter, newest first."""
    reads = _legacy(request).reads
    organization_id = caller.organization_id
    return ok(await asyncio.to_thread(_versions, reads, organization_id, promptId, body))


async def _one_version(request: Request, caller: Caller, version_id: str) -> LegacyVersionInfo:
    reads = _legacy(request).reads
    found = await asyncio.to_thread(reads.version, caller.organization_id, version_id)
    if found is None:
        raise NotFoundError(VERSION_NOT_FOUND)
    return found


@router.get("/v1/prompt/version/{promptVersionId}", response_model=Envelope[LegacyVersionOut])
async def get_version(promptVersionId: Id, request: Request, caller: Caller) -> dict[str, Any]:
    return ok(_version(await _one_version(request, caller, promptVersionId)))


@router.post(
    "/v1/prompt/version/{promptVersionId}/inputs/query",
    response_model=Envelope[list[LegacyInputOut]],
)
async def query_inputs(
    promptVersionId: Id, body: InputsQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    """What logged calls filled the version with: the newest `limit`, or `limit` at random."""
    version = await _one_version(request, caller, promptVersionId)
    reads = _legacy(request).reads
    found = await asyncio.to_thread(
        reads.inputs, caller.organization_id, version.id, body.limit, body.random
    )
    return ok([_input(record) for record in found])


@router.post(
    "/v1/prompt/{user_defined_id:path}/compile",
    response_model=Envelope[CompiledOut],
    responses={413: {"description": "The compiled prompt would be over 10 MiB"}},
)
async def compile_prompt(
    user_defined_id: UserDefinedId, body: CompileQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    """The newest version matching the filter (the production version, with "all"), filled
    with `inputs` and the untagged messages of the last call that used it."""
    where = condition(body.filter, VERSIONS)
    legacy = _legacy(request)
    version, compiled = await legacy.compile(
        caller.organization_id, user_defined_id, where, body.inputs
    )
    return ok(
        {
            "id": version.id,
            "minor_version": version.minor_version,
            "major_version": version.major_version,
            "prompt_v2": version.prompt_id,
            "model": version.model,
            "prompt_compiled": compiled,
        }
    )

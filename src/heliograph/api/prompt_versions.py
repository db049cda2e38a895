"""REST: prompt versions (Helicone's /v1 and /v2 prompt-2025 routes), environments, inputs,
and the signed body URLs that a version's `s3_url` points at.

Versions are immutable: a change is a new version. Each version answer carries `s3_url`, a
URL that serves the body for an hour to whoever holds it (as a pre-signed S3 URL does for
Helicone; its Python client fetches it without credentials): this server's own, or with
bodies in a bucket (`s3_bucket`), the object store's presigned URL.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from heliograph.api.auth import Caller
from heliograph.api.prompts import PromptId, prompts_of
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.prompts import (
    EnvironmentQuery,
    EnvironmentUpdate,
    NewVersion,
    NewVersionOut,
    PromptInputs,
    PromptRef,
    VersionCounts,
    VersionOut,
    VersionRef,
    VersionsQuery,
    VersionWithBody,
)
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.prompts.rules import MAX_ID_CHARS, PLAIN_PATTERN, PRODUCTION, js_iso
from heliograph.prompts.service import PROMPT_NOT_FOUND, VERSION_NOT_FOUND, VersionRequest
from heliograph.prompts.signing import SignedGrant
from heliograph.prompts.versions import VersionInfo
from heliograph.store.prompt_inputs import logged_inputs

router = APIRouter(tags=["Prompts"])
VersionId = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=PLAIN_PATTERN)]
PRODUCTION_NOT_FOUND = "Prompt production version not found"


def _environment(version: VersionInfo, asked: str | None) -> str | None:
    names = version.environments
    for preferred in (asked, PRODUCTION):
        if preferred in names:
            return preferred
    return names[0] if names else None


async def _shown_all(
    request: Request, versions: list[VersionInfo], asked: str | None = None
) -> list[dict[str, Any]]:
    base_url = services_of(request).settings.public_url or str(request.base_url)
    urls = await prompts_of(request).body_urls(base_url, versions)
    return [
        {
            "id": version.id,
            "model": version.model,
            "prompt_id": version.prompt_id,
            "major_version": version.major_version,
            "minor_version": version.minor_version,
            "commit_message": version.commit_message,
            "environment": _environment(version, asked),
            "environments": version.environments,
            "created_at": js_iso(version.created_at),
            "s3_url": url,
        }
        for version, url in zip(versions, urls, strict=True)
    ]


async def _shown(
    request: Request, version: VersionInfo, asked: str | None = None
) -> dict[str, Any]:
    return (await _shown_all(request, [version], asked))[0]


async def _with_body(request: Request, version: VersionInfo, asked: str | None) -> dict[str, Any]:
    body = await prompts_of(request).body_of(version)
    return ok(await _shown(request, version, asked) | {"prompt_body": body})


@router.post("/v1/prompt-2025/update", response_model=Envelope[NewVersionOut])
async def new_version(body: NewVersion, request: Request, caller: Caller) -> dict[str, Any]:
    """A new version of the prompt after `promptVersionId`, optionally serving
    `environment` at once; answers its id."""
    added = await prompts_of(request).new_version(
        caller.organization_id,
        VersionRequest(
            prompt_id=body.promptId,
            base_version_id=body.promptVersionId,
            new_major=body.newMajorVersion,
            commit_message=body.commitMessage,
            environment=body.environment,
            body=body.promptBody.as_json(),
        ),
    )
    return ok({"id": added.id})


async def _version(request: Request, caller: Caller, version_id: str) -> VersionInfo:
    versions = prompts_of(request).versions
    found = await asyncio.to_thread(versions.get, caller.organization_id, version_id)
    if found is None:
        raise NotFoundError(VERSION_NOT_FOUND)
    return found


async def _in_environment(
    request: Request, caller: Caller, prompt_id: str, environment: str
) -> VersionInfo:
    versions = prompts_of(request).versions
    found = await asyncio.to_thread(
        versions.in_environment, caller.organization_id, prompt_id, environment
    )
    if found is None:
        raise NotFoundError(
            PRODUCTION_NOT_FOUND if environment == PRODUCTION else VERSION_NOT_FOUND
        )
    return found


@router.post("/v1/prompt-2025/query/version", response_model=Envelope[VersionOut])
async def get_version(body: VersionRef, request: Request, caller: Caller) -> dict[str, Any]:
    return ok(await _shown(request, await _version(request, caller, body.promptVersionId)))


@router.post("/v1/prompt-2025/query/production-version", response_model=Envelope[VersionOut])
async def production_version(body: PromptRef, request: Request, caller: Caller) -> dict[str, Any]:
    found = await _in_environment(request, caller, body.promptId, PRODUCTION)
    return ok(await _shown(request, found, PRODUCTION))


@router.post("/v1/prompt-2025/query/environment-version", response_model=Envelope[VersionOut])
async def environment_version(
    body: EnvironmentQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    found = await _in_environment(request, caller, body.promptId, body.environment)
    return ok(await _shown(request, found, body.environment))


@router.post("/v2/prompt-2025/query/version", response_model=Envelope[VersionWithBody])
async def get_version_with_body(
    body: VersionRef, request: Request, caller: Caller
) -> dict[str, Any]:
    """As /v1/prompt-2025/query/version, with the body inline (`prompt_body`)."""
    return await _with_body(request, await _version(request, caller, body.promptVersionId), None)


@router.post("/v2/prompt-2025/query/production-version", response_model=Envelope[VersionWithBody])
async def production_version_with_body(
    body: PromptRef, request: Request, caller: Caller
) -> dict[str, Any]:
    found = await _in_environment(request, caller, body.promptId, PRODUCTION)
    return await _with_body(request, found, PRODUCTION)


@router.post("/v2/prompt-2025/query/environment-version", response_model=Envelope[VersionWithBody])
async def environment_version_with_body(
    body: EnvironmentQuery, request: Request, caller: Caller
) -> dict[str, Any]:
    found = await _in_environment(request, caller, body.promptId, body.environment)
    return await _with_body(request, found, body.environment)


async def _check_prompt(request: Request, caller: Caller, prompt_id: str) -> None:
    versions = prompts_of(request).versions
    if not await asyncio.to_thread(versions.prompt_exists, caller.organization_id, prompt_id):
        raise NotFoundError(PROMPT_NOT_FOUND)


@router.post("/v1/prompt-2025/query/versions", response_model=Envelope[list[VersionOut]])
async def list_versions(body: VersionsQuery, request: Request, caller: Caller) -> dict[str, Any]:
    """The prompt's versions (of one major version, if given), newest first."""
    await _check_prompt(request, caller, body.promptId)
    versions = prompts_of(request).versions
    found = await asyncio.to_thread(
        versions.of_prompt, caller.organization_id, body.promptId, body.majorVersion
    )
    return ok(await _shown_all(request, found))


@router.post("/v1/prompt-2025/query/total-versions", response_model=Envelope[VersionCounts])
async def count_versions(body: PromptRef, request: Request, caller: Caller) -> dict[str, Any]:
    await _check_prompt(request, caller, body.promptId)
    versions = prompts_of(request).versions
    total, majors = await asyncio.to_thread(versions.counts, caller.organization_id, body.promptId)
    return ok({"totalVersions": total, "majorVersions": majors})


@router.post("/v1/prompt-2025/update/environment", response_model=Envelope[None])
async def set_environment(
    body: EnvironmentUpdate, request: Request, caller: Caller
) -> dict[str, Any]:
    """Point the environment at the version: promote, or roll back to an older one."""
    await prompts_of(request).set_environment(
        caller.organization_id, body.promptId, body.promptVersionId, body.environment
    )
    return ok(None)


@router.delete("/v1/prompt-2025/{promptId}/{versionId}", response_model=Envelope[None])
async def delete_version(
    promptId: PromptId, versionId: VersionId, request: Request, caller: Caller
) -> dict[str, Any]:
    """Delete one version (its number is not given again); the production version stays
    until another one is promoted (409)."""
    await prompts_of(request).delete_version(caller.organization_id, promptId, versionId)
    return ok(None)


@router.get(
    "/v1/prompt-2025/id/{promptId}/{versionId}/inputs", response_model=Envelope[PromptInputs]
)
async def version_inputs(
    promptId: PromptId,
    versionId: VersionId,
    request: Request,
    caller: Caller,
    requestId: Annotated[str, Query(min_length=1, max_length=MAX_ID_CHARS, pattern=PLAIN_PATTERN)],
) -> dict[str, Any]:
    """The inputs a logged request filled this version with (kept in its log row when the
    gateway assembles a prompt: there once the row is stored, like the request itself)."""
    version = await _version(request, caller, versionId)
    if version.prompt_id != promptId:
        raise NotFoundError(VERSION_NOT_FOUND)
    engine = services_of(request).engine
    inputs = await logged_inputs(engine, caller.organization_id, requestId, versionId)
    if inputs is None:
        raise NotFoundError("Prompt inputs not found")
    return ok({"request_id": requestId, "version_id": versionId, "inputs": inputs})


BODY_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The body",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get("/v1/prompt-bodies/{versionId}", response_class=Response, responses=BODY_ANSWER)
async def signed_body(
    versionId: VersionId,
    request: Request,
    expires: Annotated[int, Query(ge=0, le=2**53)],
    signature: Annotated[str, Query(pattern="^[0-9a-f]{64}$")],
) -> Response:
    """**Heliograph**: a version's body (its `s3_url`), without credentials while the URL's
    signature holds: 403 once expired or when changed, 404 for a deleted version."""
    grant = SignedGrant(expires, signature)
    body = await prompts_of(request).signed_body(versionId, grant)
    return Response(body, media_type="application/json")

"""Prompts wired together: the stores, the body store and the URL signer, for the REST API;
the writer of Helicone's legacy prompts, for the gateway.

Every call is organization-scoped; the database and body store work runs on worker threads.
A body is written before its version row and removed again when the row could not be
stored, so a failed write leaves nothing a caller can reach.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import ForbiddenError, HeliographError, NotFoundError
from heliograph.prompts.bodies import BodyStore, BodyUrls
from heliograph.prompts.environments import EnvironmentStore
from heliograph.prompts.legacy.service import LegacyPrompts
from heliograph.prompts.rules import clean_tags, encode_body, model_of
from heliograph.prompts.signing import BodyUrlSigner, SignedGrant
from heliograph.prompts.source import PromptSource
from heliograph.prompts.store import FirstVersion, PromptStore
from heliograph.prompts.versions import NewVersion, VersionInfo, VersionStore

log = logging.getLogger("heliograph.prompts")
PROMPT_NOT_FOUND = "Prompt not found"
VERSION_NOT_FOUND = "Prompt version not found"
BODY_NOT_FOUND = "Prompt body not found"
DEFAULT_CACHE_S = 10.0
T = TypeVar("T")


@dataclass(frozen=True)
class VersionRequest:
    """POST /v1/prompt-2025/update: a new version after `base_version_id`."""

    prompt_id: str
    base_version_id: str
    new_major: bool
    commit_message: str
    environment: str | None
    body: dict[str, Any]


class Prompts:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        bodies: BodyStore,
        signer: BodyUrlSigner,
        cache_s: float = DEFAULT_CACHE_S,
        urls: BodyUrls | None = None,
    ) -> None:
        """`urls` makes each version's `s3_url` (a bucket's presigned URLs); by default it is
        this server's own, signed by `signer`."""
        self.store = PromptStore(sessions)
        self.versions = VersionStore(sessions)
        self.environments = EnvironmentStore(sessions)
        self.bodies = bodies
        self.signer = signer
        self.urls: BodyUrls = signer if urls is None else urls
        # What the gateway assembles calls from; every change below is forgotten by it at once.
        self.source = PromptSource(self.versions, bodies, cache_s)
        # Helicone's legacy prompts, made from logged calls carrying Helicone-Prompt-Id.
        self.legacy = LegacyPrompts(sessions)

    async def start(self) -> None:
        """Start the thread that records legacy prompt calls."""
        await self.legacy.log.start()

    async def close(self) -> None:
        """Record what is queued, then stop."""
        await self.legacy.log.close()

    async def _with_body(
        self, organization_id: str, body: dict[str, Any], store: Callable[[str, str], T]
    ) -> T:
        """Run `store(version_id, model)` after putting the body; the body goes again if the
        version could not be stored."""
        encoded, model = encode_body(body), model_of(body)
        version_id = str(uuid.uuid4())
        await asyncio.to_thread(self.bodies.put, organization_id, version_id, encoded)
        try:
            stored = await asyncio.to_thread(store, version_id, model)
        except Exception:
            # Not on cancellation: the thread may still store the version, which needs its
            # body; at worst an orphan body stays, which no version names.
            await asyncio.to_thread(self.bodies.delete, organization_id, [version_id])
            raise
        if stored is None:
            await asyncio.to_thread(self.bodies.delete, organization_id, [version_id])
        return stored

    async def create(
        self, organization_id: str, name: str, tags: list[str], body: dict[str, Any]
    ) -> tuple[str, str]:
        """A new prompt whose first version (0.0) serves production: (prompt id, version id)."""
        kept = clean_tags(tags)

        def store(version_id: str, model: str) -> tuple[str, str]:
            first = FirstVersion(version_id, model)
            return self.store.create(organization_id, name, kept, first), version_id

        return await self._with_body(organization_id, body, store)

    async def new_version(self, organization_id: str, request: VersionRequest) -> VersionInfo:
        def store(version_id: str, model: str) -> VersionInfo | None:
            new = NewVersion(
                prompt_id=request.prompt_id,
                base_version_id=request.base_version_id,
                new_major=request.new_major,
                id=version_id,
                model=model,
                commit_message=request.commit_message,
                environment=request.environment,
            )
            return self.versions.add(organization_id, new)

        added = await self._with_body(organization_id, request.body, store)
        if added is None:
            raise NotFoundError(VERSION_NOT_FOUND)
        self.source.forget(organization_id, request.prompt_id)
        return added

    async def set_environment(
        self, organization_id: str, prompt_id: str, version_id: str, environment: str
    ) -> None:
        """Promote (or roll back to) the version in `environment`."""
        if not await asyncio.to_thread(
            self.environments.set, organization_id, prompt_id, version_id, environment
        ):
            raise NotFoundError(VERSION_NOT_FOUND)
        self.source.forget(organization_id, prompt_id)

    async def delete_prompt(self, organization_id: str, prompt_id: str) -> None:
        version_ids = await asyncio.to_thread(self.store.delete, organization_id, prompt_id)
        if version_ids is None:
            raise NotFoundError(PROMPT_NOT_FOUND)
        self.source.forget(organization_id, prompt_id)
        await self._drop_bodies(organization_id, prompt_id, version_ids)

    async def delete_version(self, organization_id: str, prompt_id: str, version_id: str) -> None:
        deleted = await asyncio.to_thread(
            self.versions.delete, organization_id, prompt_id, version_id
        )
        if not deleted:
            raise NotFoundError(VERSION_NOT_FOUND)
        self.source.forget(organization_id, prompt_id)
        await self._drop_bodies(organization_id, prompt_id, [version_id])

    async def _drop_bodies(
        self, organization_id: str, prompt_id: str, version_ids: list[str]
    ) -> None:
        """Delete the bodies of versions already deleted. A body store that fails leaves them
        behind, logged, rather than failing a delete that is done: no URL names them again."""
        try:
            await asyncio.to_thread(self.bodies.delete, organization_id, version_ids)
        except HeliographError as exc:
            log.warning(
                "deleted %d versions of prompt %s (organization %s), but their bodies were "
                "left in the body store: %s",
                len(version_ids),
                prompt_id,
                organization_id,
                exc.message,
            )

    async def body_urls(self, base_url: str, versions: list[VersionInfo]) -> list[str]:
        """Each version's `s3_url`, on a worker thread: presigning may refresh a bucket's
        credentials over the network."""

        def urls() -> list[str]:
            return [self.urls.url(base_url, v.organization_id, v.id) for v in versions]

        return await asyncio.to_thread(urls)

    async def body_of(self, version: VersionInfo) -> Any:
        """The version's body as a JSON value (the v2 endpoints answer it inline)."""
        body = await asyncio.to_thread(self.bodies.get, version.organization_id, version.id)
        if body is None:
            raise NotFoundError(BODY_NOT_FOUND)
        return json.loads(body)

    async def signed_body(self, version_id: str, grant: SignedGrant) -> bytes:
        """The body a signed URL names, without other credentials: 403 for a signature that
        is wrong or expired, 404 for a version that is gone."""
        owner = await asyncio.to_thread(self.versions.owner, version_id)
        if owner is None:
            raise NotFoundError(BODY_NOT_FOUND)
        organization_id, live = owner
        if not self.signer.valid(organization_id, version_id, grant):
            raise ForbiddenError("This prompt body URL is invalid or has expired")
        body = (
            await asyncio.to_thread(self.bodies.get, organization_id, version_id) if live else None
        )
        if body is None:
            raise NotFoundError(BODY_NOT_FOUND)
        return body

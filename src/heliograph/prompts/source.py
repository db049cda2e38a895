"""Saved prompt bodies for the gateway: which version a call selects, and its body, cached in
the process so that an assembled call costs no database query.

- A selection (prompt + environment, or prompt + version id) is kept `cache_s` seconds, and
  forgotten at once when this process changes the prompt (`forget`: a new version put into an
  environment, promote or roll back, a version or the prompt deleted). Another gateway process
  of the same database sees the change within `cache_s`. While the database is down, the
  last known selection stands (asked again every RETRY_S); with none, MetaUnavailable (503).
- A body is kept by version id without expiry: a version never changes once stored. The
  bodies held are bounded in bytes; the least recently used go first.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from heliograph.errors import MetaUnavailable
from heliograph.meta.stale_cache import DATABASE_DOWN, RETRY_S
from heliograph.prompts.bodies import BodyStore
from heliograph.prompts.rules import PRODUCTION
from heliograph.prompts.templates import PromptError
from heliograph.prompts.versions import VersionStore

MAX_CACHED_PROMPTS = 4096
MAX_SELECTIONS_PER_PROMPT = 64
MAX_CACHED_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Selected:
    version_id: str
    body: bytes  # the version's body as stored (compact JSON)


class PromptSource:
    def __init__(
        self,
        versions: VersionStore,
        bodies: BodyStore,
        cache_s: float,
        max_body_bytes: int = MAX_CACHED_BODY_BYTES,
    ) -> None:
        self._versions = versions
        self._bodies = bodies
        self._cache_s = cache_s
        self._max_body_bytes = max_body_bytes
        # (organization, prompt) -> selector -> (version id, expiry on the monotonic clock)
        self._selections: dict[tuple[str, str], dict[str, tuple[str, float]]] = {}
        self._cached: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._cached_bytes = 0
        self._epoch = 0  # bumped by every forget: a lookup begun before it is not kept

    def forget(self, organization_id: str, prompt_id: str) -> None:
        """Drop what is known of the prompt's selections (this process changed the prompt)."""
        self._selections.pop((organization_id, prompt_id), None)
        self._epoch += 1

    async def select(
        self, organization_id: str, prompt_id: str, environment: str | None, version_id: str | None
    ) -> Selected:
        """The version the call selects, and its body: `environment` when given, else
        `version_id`, else production. A PromptError names what is unknown."""
        by_id = environment is None and version_id is not None
        selector = f"id:{version_id}" if by_id else f"env:{environment or PRODUCTION}"
        key = (organization_id, prompt_id)
        known = self._selections.get(key, {}).get(selector)
        if known is not None and known[1] > time.monotonic():
            chosen = known[0]
        else:
            epoch = self._epoch
            try:
                chosen = await asyncio.to_thread(
                    self._find, organization_id, prompt_id, environment, version_id
                )
            except DATABASE_DOWN:
                if known is None:
                    raise MetaUnavailable() from None
                # The last known selection stands, asked again only after RETRY_S.
                chosen = known[0]
                self._keep(key, selector, chosen, RETRY_S)
            else:
                if epoch == self._epoch:
                    self._keep(key, selector, chosen, self._cache_s)
        return Selected(chosen, await self._body(organization_id, chosen))

    def _find(
        self, organization_id: str, prompt_id: str, environment: str | None, version_id: str | None
    ) -> str:
        """The version id, from the database (on a worker thread)."""
        if environment is None and version_id is not None:
            info = self._versions.get(organization_id, version_id)
            if info is not None and info.prompt_id == prompt_id:
                return info.id
            missing = f"Prompt '{prompt_id}' has no version '{version_id}'"
        else:
            environment = environment or PRODUCTION
            info = self._versions.in_environment(organization_id, prompt_id, environment)
            if info is not None:
                return info.id
            missing = f"Prompt '{prompt_id}' has no version in environment '{environment}'"
        # Another organization's prompt is unknown here, exactly as one that does not exist.
        if not self._versions.prompt_exists(organization_id, prompt_id):
            raise PromptError(f"Unknown prompt '{prompt_id}'")
        raise PromptError(missing)

    def _keep(self, key: tuple[str, str], selector: str, version_id: str, ttl_s: float) -> None:
        selections = self._selections.get(key)
        if selections is None:
            if len(self._selections) >= MAX_CACHED_PROMPTS:
                del self._selections[next(iter(self._selections))]  # the oldest prompt
            selections = self._selections[key] = {}
        elif len(selections) >= MAX_SELECTIONS_PER_PROMPT:
            selections.clear()
        selections[selector] = (version_id, time.monotonic() + ttl_s)

    async def _body(self, organization_id: str, version_id: str) -> bytes:
        key = (organization_id, version_id)
        body = self._cached.get(key)
        if body is not None:
            self._cached.move_to_end(key)
            return body
        try:
            body = await asyncio.to_thread(self._bodies.get, organization_id, version_id)
        except DATABASE_DOWN:  # the embedded store's database (S3's failures are its own)
            raise MetaUnavailable() from None
        if body is None:  # deleted since it was selected
            raise PromptError(f"Prompt version '{version_id}' has no body any more")
        if key not in self._cached and len(body) <= self._max_body_bytes:
            self._cached[key] = body
            self._cached_bytes += len(body)
            while self._cached_bytes > self._max_body_bytes:
                _, dropped = self._cached.popitem(last=False)
                self._cached_bytes -= len(dropped)
        return body

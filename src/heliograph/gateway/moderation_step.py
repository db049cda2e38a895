"""The "moderation" step: with `Helicone-Moderations-Enabled: true`, a call's latest user
message is checked by OpenAI's moderation endpoint (moderation.py) before it goes upstream.

It runs after "guard" (a rate-limited call is refused, a cache hit answered, before any
check: Helicone's order) and before "upstream", so a stream is checked before its first
byte. A flagged call is answered 400 with Helicone's body and logged, never sent. When no
verdict can be had, `moderation_fail` decides: `closed` refuses the call (503, logged),
`open` sends it unchecked. The row's `moderation` column says which of these happened.

Whose OpenAI key asks: on the passthrough proxy, the caller's own (its Authorization to
OpenAI, as Helicone forwards the request's headers), and only for calls to OpenAI; on the
unified gateway, the organization's stored OpenAI key, else the server's, whatever provider
the call goes to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from heliograph.errors import HeliographError
from heliograph.gateway.flow import CallState, Step
from heliograph.gateway.moderation import (
    CLEAN,
    ERROR_ALLOWED,
    ERROR_BLOCKED,
    FLAGGED,
    ModerationUnavailable,
    Moderator,
    latest_user_content,
)
from heliograph.gateway.routing import Router
from heliograph.gateway.steps import refuse_logged
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.pipeline.calls import CallLog

HEADER = "helicone-moderations-enabled"
# The caller's headers that speak for it to OpenAI on the passthrough proxy.
_CALLER_HEADERS = ("authorization", "openai-organization", "openai-project")


@dataclass(frozen=True, slots=True)
class ModerationTarget:
    base_url: str
    headers: list[tuple[str, str]]  # the key's, never logged


# None: the call is not one to moderate (the passthrough's calls to another provider).
Targeting = Callable[[CallState], Awaitable[ModerationTarget | None]]


class ModerationRefused(HeliographError):
    """The check could not be made and `moderation_fail` is `closed`."""

    status = 503
    kind = "service_unavailable_error"


def flagged_body(request_id: str) -> bytes:
    """Helicone's documented answer to a flagged prompt."""
    details = f"See your Heliograph request page for more info: request {request_id}"
    error = {
        "code": "PROMPT_FLAGGED_FOR_MODERATION",
        "message": "The given prompt was flagged by the OpenAI Moderation endpoint.",
        "details": details,
    }
    return orjson.dumps({"success": False, "error": error})


def moderation_step(
    moderator: Moderator, targeting: Targeting, calls: CallLog, fail_closed: bool
) -> Step:
    """The step, named "moderation"; put it before "upstream" (CallFlow.insert_before)."""

    async def run(state: CallState) -> bool:
        other = state.intake.headers.other
        if not other or other.get(HEADER, "").strip().lower() != "true":
            return True
        content = latest_user_content(state.plan.cache_parts[3])
        if content is None:
            return True
        call = state.call
        try:
            target = await targeting(state)
            if target is None:
                return True
            verdict = await moderator.check(target.base_url, target.headers, content)
        except ModerationUnavailable as exc:
            if not fail_closed:
                call.moderation = ERROR_ALLOWED
                return True
            call.moderation = ERROR_BLOCKED
            raise ModerationRefused(
                f"The moderation check could not be made (OpenAI's moderation endpoint: "
                f"{exc}); the call was not sent (moderation_fail = closed)"
            ) from None
        call.moderation_categories = verdict.categories
        if not verdict.flagged:
            call.moderation = CLEAN
            return True
        call.moderation = FLAGGED
        await refuse_logged(state, calls, 400, flagged_body(call.request_id))
        return False

    return Step("moderation", run)


def passthrough_targeting(router: Router) -> Targeting:
    """The caller's own OpenAI credentials, for the passthrough's calls to OpenAI."""

    async def target(state: CallState) -> ModerationTarget | None:
        if state.call.provider != "OPENAI":
            return None
        forward = state.intake.headers.forward
        headers = [(name, value) for name, value in forward if name in _CALLER_HEADERS]
        if not any(name == "authorization" for name, _ in headers):
            raise ModerationUnavailable("the call has no Authorization for OpenAI")
        return ModerationTarget(_openai_base(router), headers)

    return target


def gateway_targeting(router: Router, provider_keys: ProviderKeyStore) -> Targeting:
    """The organization's stored OpenAI key, else the server's."""

    async def target(state: CallState) -> ModerationTarget | None:
        own = await provider_keys.keys_for(state.intake.principal.organization_id)
        openai = router.providers.get("openai")
        key = own.get("openai") or (openai.api_key if openai is not None else None)
        if not key:
            raise ModerationUnavailable("the organization has no OpenAI key")
        return ModerationTarget(_openai_base(router), [("authorization", f"Bearer {key}")])

    return target


def _openai_base(router: Router) -> str:
    openai = router.providers.get("openai")
    if openai is None:
        raise ModerationUnavailable("no OpenAI base URL is configured")
    return openai.base_url

"""The unified gateway's "prompt" step: a chat completion that names a saved prompt
(`prompt_id`, with `version_id`, `environment`, `inputs`) is assembled from it
(prompts/assembly.py) before the plan chooses targets, since the saved prompt may name the
model. The plan gets the assembled request, parsed; it is what goes upstream and what the
log row stores, with the prompt's id and version. A call without `prompt_id` is only parsed
here, once, for the plan.

A call that cannot be assembled (an unknown prompt, version or environment, an input missing
or mistyped) is answered 400 in OpenAI's shape, and logged: its record is opened here, with
no provider yet, so that the flow's failure path logs it like any other failed call.

This module joins the gateway and the prompts feature, so it lives at the app layer (the
gateway does not import features; the prompts package does not import the gateway).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import orjson

from heliograph.errors import HeliographError
from heliograph.gateway.flow import CallState, Step
from heliograph.gateway.intake import PromptUse
from heliograph.gateway.steps import open_unplanned
from heliograph.prompts.assembly import PromptCall, assemble, message_text, partials_in, prompt_call
from heliograph.prompts.rules import MAX_ID_CHARS
from heliograph.prompts.service import Prompts
from heliograph.prompts.source import PromptSource
from heliograph.prompts.templates import AssembledTooLarge, PromptError

# Helicone's docs give assembly for chat completions; other endpoints refuse `prompt_id`.
CHAT_PATHS = frozenset({"/chat/completions", "/v1/chat/completions"})


def prompt_step(prompts: Prompts, max_body_bytes: int) -> Step:
    """The step, named "prompt"; put it before "plan" (CallFlow.insert_before)."""
    source = prompts.source

    async def run(state: CallState) -> bool:
        intake = state.intake
        try:
            request = orjson.loads(intake.body)
        except orjson.JSONDecodeError:
            return True  # the plan answers it, as for any call
        if not isinstance(request, dict):
            return True
        organization_id = intake.principal.organization_id
        try:
            call = prompt_call(request)
            if call is None:
                state.intake = replace(intake, request=request)
                return True
            if state.scope["path"] not in CHAT_PATHS:
                raise PromptError("'prompt_id' is served on /v1/chat/completions only")
            assembled, version_id = await _assembled(
                source, organization_id, request, call, max_body_bytes - len(intake.body)
            )
            body = _encoded(assembled, max_body_bytes)
        except HeliographError:
            failed = open_unplanned(state, request)
            prompt_id, asked = request.get("prompt_id"), request.get("version_id")
            failed.prompt_id = prompt_id if isinstance(prompt_id, str) else ""
            # The version asked for, when it was named: its failures count against it.
            named = isinstance(asked, str) and len(asked) <= MAX_ID_CHARS
            failed.prompt_version = str(asked) if named else ""
            raise
        use = PromptUse(call.prompt_id, version_id, call.inputs)
        state.intake = replace(intake, body=body, request=assembled, prompt=use)
        return True

    return Step("prompt", run)


async def _assembled(
    source: PromptSource,
    organization_id: str,
    request: dict[str, Any],
    call: PromptCall,
    budget: int,
) -> tuple[dict[str, Any], str]:
    """The assembled request and the id of the version it came from."""
    chosen = await source.select(organization_id, call.prompt_id, call.environment, call.version_id)
    saved = _decoded(chosen.body)
    texts: dict[Any, str] = {}
    for partial in partials_in(saved):
        found = await source.select(organization_id, partial.prompt_id, partial.environment, None)
        text = message_text(_decoded(found.body), partial.index)
        if text is None:
            raise PromptError(
                f"Prompt partial {partial.prompt_id}:{partial.index}: prompt "
                f"'{partial.prompt_id}' has no message {partial.index}"
            )
        texts[partial] = text
    return assemble(saved, request, call, texts, budget - len(chosen.body)), chosen.version_id


def _decoded(body: bytes) -> dict[str, Any]:
    """A stored body, parsed anew for each call (never shared: the plan may change it)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:  # an integer past 64 bits, which JSON allows
        value = json.loads(body)
    if not isinstance(value, dict):
        raise PromptError("The saved prompt's body is not a JSON object")
    return value


def _encoded(request: dict[str, Any], max_body_bytes: int) -> bytes:
    try:
        body = orjson.dumps(request)
    except TypeError:  # an integer past 64 bits
        body = json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode()
    if len(body) > max_body_bytes:
        raise AssembledTooLarge(
            f"The assembled prompt is {len(body)} bytes, more than the gateway's body limit"
        )
    return body

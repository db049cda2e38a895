"""The "legacy prompt" step of the passthrough proxy and the unified gateway: a call carrying
`Helicone-Prompt-Id` (Helicone's legacy prompts, `@helicone/prompts`' `hpf` tags) goes
upstream without its `<helicone-prompt-input>` and `<helicone-prompt-static>` tags, as
Helicone's worker sends it, and is queued for its prompt's template and inputs, which a
thread of their own records (prompts/legacy/): the call waits for no database.

`Helicone-Prompt-Mode: deactivated` sends the body as it came (recorded all the same), as
Helicone does. A body that cannot be read goes upstream unchanged and records nothing.

This module joins the gateway and the prompts feature, so it lives at the app layer.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from heliograph.gateway.flow import CallState, Step
from heliograph.prompts.legacy.bodies import upstream_body
from heliograph.prompts.legacy.service import LEGACY_PROMPT_ID, LegacyPrompts

MODE_HEADER = "helicone-prompt-mode"
# Larger bodies are read on a worker thread: a few MiB of JSON take the event loop's
# 100 ms or more (parsed, walked and written again), every other call's time.
INLINE_BYTES = 64 * 1024


def legacy_prompt_step(legacy: LegacyPrompts) -> Step:
    """The step, named "legacy prompt"; put it before any step that reads the body."""

    async def run(state: CallState) -> bool:
        intake = state.intake
        user_defined_id = intake.headers.properties.get(LEGACY_PROMPT_ID)
        if not user_defined_id:
            return True
        body = intake.body
        if intake.headers.other.get(MODE_HEADER, "").lower() != "deactivated":
            inline = len(body) <= INLINE_BYTES
            sent = upstream_body(body) if inline else await asyncio.to_thread(upstream_body, body)
            if sent is not None:
                state.intake = replace(intake, body=sent)
        organization_id = intake.principal.organization_id
        legacy.submit(organization_id, intake.request_id, user_defined_id, body)
        return True

    return Step("legacy prompt", run)

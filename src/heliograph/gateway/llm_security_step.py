"""The "llm-security" step: with `Helicone-LLM-Security-Enabled: true`, each user message
of a call is scored by the base tier's local injection classifier (heliograph/security)
before the call goes upstream.

It runs after "guard" and before "upstream" (a stream is checked before its first byte). A
threat is answered 400 with Helicone's PROMPT_THREAT_DETECTED body, logged with
`threat = true`, and never sent; a call checked and let through is logged `threat = false`.
The threshold is the organization's (`llm_security_thresholds`), else the server's
(`llm_security_threshold`). Short texts are scored inline (well under a millisecond);
longer ones, up to the screening budget, on a bounded pool off the event loop.

`Helicone-LLM-Security-Advanced` (Helicone's Llama Guard tier) is not implemented: the base
tier still runs and the answer carries `helicone-llm-security-advanced: not-implemented`.
"""

from __future__ import annotations

import orjson

from heliograph.gateway.flow import CallState, Step
from heliograph.gateway.steps import refuse_logged
from heliograph.pipeline.calls import CallLog
from heliograph.security.classifier import InjectionModel
from heliograph.security.screening import Screening, screen, user_texts
from heliograph.workpool import BoundedPool

HEADER = "helicone-llm-security-enabled"
ADVANCED_HEADER = "helicone-llm-security-advanced"
# Up to this many characters of user text are scored on the event loop (~2 ms at most).
INLINE_CHARS = 2048


class ThreatPolicy:
    """The classifier and the thresholds: the server's, and organizations' own."""

    def __init__(
        self, model: InjectionModel, default: float, per_organization: dict[str, float]
    ) -> None:
        self.model = model
        self.default = default
        self._per_organization = dict(per_organization)

    def threshold(self, organization_id: str) -> float:
        return self._per_organization.get(organization_id, self.default)


def threat_body(request_id: str) -> bytes:
    """Helicone's documented answer to a prompt threat."""
    error = {
        "code": "PROMPT_THREAT_DETECTED",
        "message": "Prompt threat detected. Your request cannot be processed.",
        "details": f"See your Heliograph request page for more info: request {request_id}",
    }
    return orjson.dumps({"success": False, "error": error})


def llm_security_step(policy: ThreatPolicy, pool: BoundedPool, calls: CallLog) -> Step:
    """The step, named "llm-security"; put it before "upstream" (CallFlow.insert_before)."""

    async def run(state: CallState) -> bool:
        other = state.intake.headers.other
        if not other or other.get(HEADER, "").strip().lower() != "true":
            return True
        if other.get(ADVANCED_HEADER, "").strip().lower() == "true":
            state.headers.append((ADVANCED_HEADER.encode(), b"not-implemented"))
        texts = user_texts(state.plan.cache_parts[3])
        if not texts:
            return True
        threshold = policy.threshold(state.intake.principal.organization_id)
        verdict = await _screen(policy.model, texts, threshold, pool)
        state.call.threat = verdict.threat
        if not verdict.threat:
            return True
        await refuse_logged(state, calls, 400, threat_body(state.call.request_id))
        return False

    return Step("llm-security", run)


async def _screen(
    model: InjectionModel, texts: list[str], threshold: float, pool: BoundedPool
) -> Screening:
    if sum(len(text) for text in texts) <= INLINE_CHARS:
        return screen(model, texts, threshold)
    return await pool.run(screen, model, texts, threshold)

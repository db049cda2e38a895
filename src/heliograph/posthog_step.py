"""The "posthog" step, last of every proxied call: a call sent with Helicone-Posthog-Key
queues its stored row for the PostHog export (posthog/export.py). A call without the
header costs one dictionary lookup.

This module joins the gateway and the export, so it lives at the app layer.
"""

from __future__ import annotations

from heliograph.gateway.flow import CallState, Step
from heliograph.posthog.export import PostHogExport


def posthog_step(export: PostHogExport) -> Step:
    async def run(state: CallState) -> bool:
        other = state.intake.headers.other
        key = other.get("helicone-posthog-key") if other else None
        if key and state.row is not None:
            export.submit(key, other.get("helicone-posthog-host"), state.row)
        return True

    return Step("posthog", run)

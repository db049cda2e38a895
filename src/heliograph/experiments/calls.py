"""One experiment cell's call: the version run on the row's inputs through the unified
gateway (assembled, routed, limited, cached on request and logged like any client's call),
and what its answer means for the cell.

The call names the saved prompt (`prompt_id`, `version_id`, `inputs`), so its log row
carries the prompt's id and version; it is tagged with the experiment's id as the property
`Helicone-Experiment-Id` and logged under the cell's own request id.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from heliograph.experiments.cells import Cell
from heliograph.experiments.rules import EXPERIMENT_PROPERTY
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import NEWEST_FIRST

# (organization id, body, headers) -> (status, body): one call through the unified gateway.
GatewayCall = Callable[[str, bytes, dict[str, str]], Awaitable[tuple[int, bytes]]]
MAX_ERROR_CHARS = 500
GATEWAY_LIMIT_MESSAGE = "Rate limit reached for policy"  # gateway/ratelimit.py's RateLimited


@dataclass(frozen=True, slots=True)
class Outcome:
    """A cell's call: `error` None when it succeeded; `retry` when trying again may help."""

    error: str | None
    retry: bool = False
    rate_limited: bool = False  # held back by the run's own policy: tried until it passes


def call_body(cell: Cell) -> bytes:
    call: dict[str, object] = {
        "prompt_id": cell.prompt_id,
        "version_id": cell.prompt_version_id,
        "inputs": cell.inputs,
        "stream": False,  # the table shows whole answers
    }
    if cell.run.model:  # the run's model over the version's (assembly lets a call's win)
        call["model"] = cell.run.model
    # json, not orjson: an input may be an integer past 64 bits, which JSON allows.
    return json.dumps(call, ensure_ascii=False).encode()


def call_headers(cell: Cell) -> dict[str, str]:
    headers = {
        "Helicone-Request-Id": cell.request_id,
        f"Helicone-Property-{EXPERIMENT_PROPERTY}": cell.experiment_id,
    }
    if cell.run.cache_enabled:
        headers["Helicone-Cache-Enabled"] = "true"
    if cell.run.rate_limit_policy:
        headers["Helicone-RateLimit-Policy"] = cell.run.rate_limit_policy
    return headers


def outcome(status: int, body: bytes) -> Outcome:
    """Success on 2xx; a rate limit or a server error may pass; the rest is the row's."""
    if 200 <= status < 300:
        return Outcome(None)
    text = _message(body)
    # The gateway's own limit (the run's policy), not a provider's 429 (tried twice more).
    held_back = status == 429 and text.startswith(GATEWAY_LIMIT_MESSAGE)
    retry = status == 429 or status >= 500
    return Outcome(f"HTTP {status}: {text}", retry=retry, rate_limited=held_back)


def _message(body: bytes) -> str:
    """The error's message in OpenAI's shape, else the body's text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:MAX_ERROR_CHARS]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    text = message if isinstance(message, str) else body.decode("utf-8", "replace")
    return text[:MAX_ERROR_CHARS]


async def logged_outcome(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> Outcome | None:
    """The outcome of a call already logged under `request_id` (made before a crash), or
    None when there is none, or it was one worth trying again (a rate limit, a server
    error): then the call is made again, and its row replaces the one logged."""
    rows = await engine.select(
        "SELECT status FROM request_response_rmt "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    if not rows:
        return None
    status = int(rows[0]["status"])
    if 200 <= status < 300:
        return Outcome(None)
    if status == 429 or status >= 500:
        return None
    return Outcome(f"HTTP {status} (logged before a restart)")


async def run_cell(call: GatewayCall, engine: ClickHouseEngine, cell: Cell) -> Outcome:
    """Make the cell's call, unless a call under its request id was logged already."""
    if cell.claimed_before:
        logged = await logged_outcome(engine, cell.organization_id, cell.request_id)
        if logged is not None:
            return logged
    status, body = await call(cell.organization_id, call_body(cell), call_headers(cell))
    return outcome(status, body)

"""The inputs a logged call filled a saved prompt with: its row's `prompt_inputs` (JSON),
written by the gateway when it assembled the call (Helicone keeps them in a table of their
own, `prompts_2025_inputs`; here they travel with the row, through the spool, at no cost
to the call)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import NEWEST_FIRST

TABLE = "request_response_rmt"


async def logged_inputs(
    engine: ClickHouseEngine, organization_id: str, request_id: str, version_id: str
) -> dict[str, Any] | None:
    """The request's inputs, when the organization logged it as assembled from that version."""
    try:
        request_uuid = str(uuid.UUID(request_id))
    except ValueError:  # no logged request has a malformed id
        return None
    rows = await engine.select(
        f"SELECT prompt_inputs FROM {TABLE} "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        "AND prompt_version = {version:String} AND prompt_inputs != '' "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_uuid, "version": version_id},
    )
    if not rows:
        return None
    inputs = orjson.loads(rows[0]["prompt_inputs"])
    return inputs if isinstance(inputs, dict) else None


@dataclass(frozen=True)
class LoggedPrompt:
    """The saved prompt a logged request was assembled from, and what filled it."""

    prompt_id: str
    version_id: str
    inputs: dict[str, Any]


async def request_prompt(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> LoggedPrompt | None:
    """The prompt, version and inputs of one logged request, when the gateway assembled it
    from a saved prompt (its newest row; None for any other request, or none logged)."""
    try:
        request_uuid = str(uuid.UUID(request_id))
    except ValueError:
        return None
    rows = await engine.select(
        f"SELECT prompt_id, prompt_version, prompt_inputs FROM {TABLE} "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_uuid},
    )
    if not rows or not rows[0]["prompt_inputs"]:
        return None
    inputs = orjson.loads(rows[0]["prompt_inputs"])
    if not isinstance(inputs, dict):
        return None
    return LoggedPrompt(rows[0]["prompt_id"], rows[0]["prompt_version"], inputs)

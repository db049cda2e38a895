"""Where an experiment and its rows come from: a prompt version, nothing (an empty prompt
made for it), a logged request, a dataset's rows, or inputs typed in."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any

import orjson

from heliograph.datasets.service import Datasets
from heliograph.errors import NotFoundError
from heliograph.experiments.rows import NewRow
from heliograph.experiments.rules import EXPERIMENT_NOT_FOUND, MAX_ROWS, row_inputs
from heliograph.experiments.service import Experiments
from heliograph.store.newest import NEWEST_FIRST

# Helicone's empty experiment starts from this prompt.
EMPTY_PROMPT = {
    "model": "gpt-4o",
    "messages": [{"role": "system", "content": "You are a helpful assistant."}],
}
# What a logged request's body keeps when it becomes a prompt (the gateway's own fields go).
NOT_PROMPT_FIELDS = ("prompt_id", "version_id", "environment", "inputs", "stream")
DATASET_PAGE = 500


async def create_empty(x: Experiments, org: str) -> str:
    stamp = int(time.time() * 1000)
    prompt_id, version_id = await x.prompts.create(org, f"empty-prompt-{stamp}", [], EMPTY_PROMPT)
    del prompt_id
    return await x.create(org, f"experiment-{stamp}", version_id)


async def _logged(x: Experiments, org: str, request_id: str) -> dict[str, Any]:
    try:
        request_uuid = str(uuid.UUID(request_id))
    except ValueError:
        raise NotFoundError(f"Request not found: {request_id[:64]}") from None
    rows = await x.engine.select(
        "SELECT prompt_version, prompt_inputs, request_body FROM request_response_rmt "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": org, "id": request_uuid},
    )
    if not rows:
        raise NotFoundError(f"Request not found: {request_id}")
    return rows[0]


async def create_from_request(x: Experiments, org: str, request_id: str) -> str:
    """An experiment over the version the request was assembled from, with one row: the
    request's inputs, the request itself its original output. A request made without a
    saved prompt becomes a new prompt first (as Helicone does)."""
    logged = await _logged(x, org, request_id)
    version_id = str(logged["prompt_version"])
    known = None
    if version_id:
        known = await asyncio.to_thread(x.prompts.versions.get, org, version_id)
    inputs: dict[str, Any] = {}
    if known is not None:
        inputs = dict(orjson.loads(logged["prompt_inputs"] or "{}"))
    else:
        body = orjson.loads(logged["request_body"] or "{}")
        prompt = {k: v for k, v in body.items() if k not in NOT_PROMPT_FIELDS}
        _, version_id = await x.prompts.create(org, f"from-request-{request_id[:8]}", [], prompt)
    stamp = int(time.time() * 1000)
    experiment_id = await x.create(org, f"experiment-from-request-{request_id}-{stamp}", version_id)
    await add_rows(x, org, experiment_id, [NewRow(inputs, source_request_id=request_id.lower())])
    return experiment_id


async def add_rows(x: Experiments, org: str, experiment_id: str, rows: list[NewRow]) -> list[str]:
    added = await asyncio.to_thread(x.rows.add, org, experiment_id, rows)
    if added is None:
        raise NotFoundError(EXPERIMENT_NOT_FOUND)
    return added


async def rows_from_dataset(
    x: Experiments, datasets: Datasets, org: str, experiment_id: str, dataset_id: str
) -> int:
    """A row per dataset row, with its inputs and, for a curated request, that request as
    its original output; how many were added."""
    await x.owned(org, experiment_id)
    await datasets.owned(org, dataset_id)
    new: list[NewRow] = []
    while len(new) <= MAX_ROWS and (
        page := await asyncio.to_thread(
            datasets.rows.input_records, org, dataset_id, len(new), DATASET_PAGE
        )
    ):
        for row_id, origin, stored in page:
            # An experiment dataset's row names the request its inputs came from.
            named = (stored or {}).get("sourceRequest")
            source = origin or (named if isinstance(named, str) else None)
            new.append(NewRow(row_inputs(stored), source_request_id=source, dataset_row_id=row_id))
    new = await _with_logged_inputs(x, org, new)
    await add_rows(x, org, experiment_id, new)  # refused past MAX_ROWS, nothing added
    return len(new)


async def _with_logged_inputs(x: Experiments, org: str, rows: list[NewRow]) -> list[NewRow]:
    """Rows of curated requests get the inputs their calls were assembled with (a curated
    row keeps the request's bodies, the log row its prompt inputs)."""
    wanted = [row.source_request_id for row in rows if not row.inputs and row.source_request_id]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), DATASET_PAGE):
        logged = await x.engine.select(
            "SELECT toString(request_id) AS id, prompt_inputs FROM request_response_rmt "
            "WHERE organization_id = {org:UUID} AND request_id IN {ids:Array(UUID)} "
            f"AND prompt_inputs != '' {NEWEST_FIRST} LIMIT 1 BY request_id",
            {"org": org, "ids": wanted[start : start + DATASET_PAGE]},
        )
        for entry in logged:
            inputs = orjson.loads(entry["prompt_inputs"])
            if isinstance(inputs, dict):
                found[str(entry["id"])] = inputs
    return [replace(row, inputs=found.get(row.source_request_id or "", row.inputs)) for row in rows]

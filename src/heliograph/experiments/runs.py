"""Running an experiment: start or stop a run, run one cell, estimate a run's cost, and
read its progress and results.

A run queues the cells still to be made and marks the experiment running; the runner
takes it from there, and a server restarted mid-run carries on where it was. Stopping
leaves the queued cells queued: the next run starts with them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.experiments.estimate import VersionEstimate, estimate, filled_chars
from heliograph.experiments.results import calls_of, summary
from heliograph.experiments.rows import RowInfo
from heliograph.experiments.rules import (
    DONE,
    FAILED,
    IDLE,
    MAX_CONCURRENCY,
    PENDING,
    ROW_NOT_FOUND,
    RUNNING,
    VARIANT_NOT_FOUND,
)
from heliograph.experiments.service import Experiments
from heliograph.experiments.store import RunSettings

ESTIMATE_PAGE_ROWS = 500  # rows an estimate reads and counts at a time


async def _versions(
    x: Experiments, org: str, experiment_id: str, chosen: list[str] | None
) -> list[str]:
    """The versions a run makes outputs for: those chosen (each compared), else all."""
    await x.owned(org, experiment_id)
    compared = [
        v.prompt_version_id for v in await asyncio.to_thread(x.store.variants, experiment_id)
    ]
    if chosen is None:
        return compared
    unknown = [v for v in chosen if v not in compared]
    if unknown:
        raise NotFoundError(f"{VARIANT_NOT_FOUND}: {unknown[0]}")
    return list(dict.fromkeys(chosen))


async def start_run(
    x: Experiments, org: str, experiment_id: str, chosen: list[str] | None, run: RunSettings
) -> int:
    """Queue every cell of the versions without a current output and start running; how
    many were queued."""
    if not 1 <= run.concurrency <= MAX_CONCURRENCY:
        raise InvalidRequestError(f"Invalid request: concurrency must be 1 to {MAX_CONCURRENCY}")
    versions = await _versions(x, org, experiment_id, chosen)
    queued = await asyncio.to_thread(x.queue.queue_missing, experiment_id, versions)
    await asyncio.to_thread(x.store.set_status, org, experiment_id, RUNNING, run)
    x.runner.wake()
    return queued


async def stop_run(x: Experiments, org: str, experiment_id: str) -> None:
    """Start no more calls (those in flight finish); queued cells wait for the next run."""
    await x.owned(org, experiment_id)
    await asyncio.to_thread(x.store.set_status, org, experiment_id, IDLE)


async def run_one(
    x: Experiments, org: str, experiment_id: str, version_id: str, row_id: str
) -> str:
    """Queue one cell's call (Helicone's run-hypothesis) and run it: its request id."""
    await _versions(x, org, experiment_id, [version_id])
    if await asyncio.to_thread(x.rows.get, experiment_id, row_id) is None:
        raise NotFoundError(ROW_NOT_FOUND)
    request_id = await asyncio.to_thread(x.queue.queue_one, experiment_id, row_id, version_id)
    await asyncio.to_thread(x.store.set_status, org, experiment_id, RUNNING)
    x.runner.wake()
    return request_id


async def estimate_run(
    x: Experiments,
    catalog: PriceCatalog,
    org: str,
    experiment_id: str,
    chosen: list[str] | None,
    model: str | None = None,
) -> list[VersionEstimate]:
    """Each version's estimate over every row (see estimate.py), at `model` when given;
    the rows are read a page at a time and counted on a worker thread."""
    versions = await _versions(x, org, experiment_id, chosen)
    bodies = {}
    for version_id in versions:
        body = await x.prompts.body_of(await x.version(org, version_id))
        bodies[version_id] = {**body, "model": model} if model else body
    chars = dict.fromkeys(versions, 0)
    calls = 0
    while page := await asyncio.to_thread(
        x.rows.inputs_page, experiment_id, calls, ESTIMATE_PAGE_ROWS
    ):
        for version_id, body in bodies.items():
            chars[version_id] += await asyncio.to_thread(filled_chars, body, page)
        calls += len(page)
    return [estimate(catalog, v, bodies[v], calls, chars[v]) for v in versions]


async def progress(x: Experiments, org: str, experiment_id: str) -> dict[str, Any]:
    info = await x.owned(org, experiment_id)
    counts = await asyncio.to_thread(x.queue.progress, experiment_id)
    by_version = await summary(x.engine, org, experiment_id)
    return {
        "status": info.status,
        "total": sum(counts.values()),
        "pending": counts[PENDING],
        "done": counts[DONE],
        "failed": counts[FAILED],
        "cost": sum(version["cost"] for version in by_version.values()),
        "versions": by_version,
    }


async def results_page(
    x: Experiments, org: str, experiment_id: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    """A page of the table: each row's inputs and, per version, its newest output with
    what the call gave."""
    await x.owned(org, experiment_id)
    rows = await asyncio.to_thread(x.rows.page, experiment_id, offset, limit)
    ids = [output.request_id for row in rows for output in row.outputs]
    calls = await calls_of(x.engine, org, ids)
    return [_result_row(row, calls) for row in rows]


def _result_row(row: RowInfo, calls: dict[str, dict[str, Any]]) -> dict[str, Any]:
    cells: dict[str, dict[str, Any]] = {}
    original = None
    for output in row.outputs:  # newest first: the first one of each version is shown
        shown = {
            "request_id": output.request_id,
            "status": output.status,
            "error": output.error,
            "call": calls.get(output.request_id),
        }
        if output.is_original:
            original = original or shown
        elif output.prompt_version_id not in cells:
            cells[output.prompt_version_id] = shown
    return {
        "id": row.id,
        "inputs": row.inputs,
        "source_request": row.source_request_id,
        "original": original,
        "outputs": cells,
    }

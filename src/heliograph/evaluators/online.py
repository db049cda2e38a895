"""The log pipeline's stored-rows listener for online evaluation: matching rows become jobs.

Called on the event loop with every stored batch (again on replay: jobs are unique per
online evaluator and request). Rows of organizations without online evaluators cost one
dictionary lookup; the others are parsed, filtered and sampled, and their jobs written to
the durable queue before the listener returns (the spool segment is deleted right after),
so a crash loses none. Rows of judge calls (the `Helicone-Evaluator` property) are skipped:
a judge never triggers an evaluator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import orjson

from heliograph.evaluators.jobs import JobQueue, NewJob
from heliograph.evaluators.judge import JUDGE_PROPERTY
from heliograph.evaluators.online_config import OnlineConfig, sampled
from heliograph.evaluators.online_store import OnlineStore
from heliograph.store.log_row import LogRow
from heliograph.throttled_log import ThrottledLog

log = logging.getLogger("heliograph.evaluators")
# In the stored line of a judge's call (its property); a cheap look, no parsing.
JUDGE_MARK = f'"{JUDGE_PROPERTY}"'.encode()
JUDGE_MARK_LOWER = JUDGE_MARK.lower()


class OnlineDispatcher:
    def __init__(self, online: OnlineStore, queue: JobQueue, on_queued: Callable[[], None]) -> None:
        self._online = online
        self._queue = queue
        self._on_queued = on_queued
        self._throttled = ThrottledLog(log)
        self._targets: dict[str, list[tuple[str, OnlineConfig]]] = {}  # by organization
        self.queue_failures = 0
        self.dropped = 0  # jobs not queued: the backlog was at online_evaluation_max_queued
        self.traffic = 0  # rows logged that were not a judge's call (what pacing yields to)

    def refresh(self) -> None:
        """Reload the online evaluators (blocking: call from a thread at runtime)."""
        targets: dict[str, list[tuple[str, OnlineConfig]]] = {}
        for online, _ in self._online.everything():
            key = online.organization_id.lower()
            targets.setdefault(key, []).append((online.id, online.config))
        self._targets = targets  # swapped whole: the listener never sees a half-built map

    async def __call__(self, rows: Sequence[LogRow]) -> None:
        self.traffic += sum(JUDGE_MARK not in row.line for row in rows)
        targets = self._targets
        if not targets:
            return
        jobs: list[NewJob] = []
        for row in rows:
            online = targets.get(row.organization_id.lower())
            if online is not None:
                jobs.extend(_jobs(row, online))
        if not jobs:
            return
        try:
            dropped = await asyncio.to_thread(self._queue.enqueue, jobs)
        except Exception:
            self.queue_failures += 1
            # The rows are stored; their evaluations are lost (counted on /healthz).
            log.exception("could not queue %d online evaluations", len(jobs))
            return
        if dropped:
            self.dropped += dropped
            self._throttled.warning(
                "dropped", "online evaluation backlog full: %d jobs dropped", dropped
            )
        self._on_queued()


def _jobs(row: LogRow, online: list[tuple[str, OnlineConfig]]) -> list[NewJob]:
    # Sampled first, from the request id alone: the other rows are never parsed.
    chosen = [(i, config) for i, config in online if sampled(row.request_id, config.sample_rate)]
    if not chosen:
        return []
    if not any(config.property_filters for _, config in chosen) and (
        JUDGE_MARK_LOWER not in row.line.lower()
    ):  # nothing to read in the line: no filter, and not a judge's call
        return [NewJob(i, row.organization_id, row.request_id.lower()) for i, _ in chosen]
    try:
        stored = orjson.loads(row.line)
    except orjson.JSONDecodeError:
        return []
    properties = stored.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    if any(str(name).lower() == JUDGE_PROPERTY.lower() for name in properties):
        return []
    request_id = row.request_id.lower()
    return [
        NewJob(online_id, row.organization_id, request_id)
        for online_id, config in chosen
        if config.matches_properties(properties)
    ]

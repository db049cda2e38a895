"""The online evaluation worker: claims due jobs, runs their evaluator, writes the score.

One asyncio task claims jobs from the durable queue and runs each in its own task (at most
`concurrency` at once), off the request path, yielding to live traffic (pacing.py); a job
reads its call's bodies back from the store. A score is written through the score path
(store/scores.py, as `POST /v1/request/{id}/score` does) under the evaluator's score name,
then the job is marked done. A judge's call gets a request
id made from the job's, so a job run again after a crash logs its judge call under the same
id. Failures the judge may not repeat (an HTTP error, no verdict) are retried twice with
backoff; a Python error or Python turned off fail the job at once, with the error kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from heliograph.errors import HeliographError
from heliograph.evaluators.jobs import ClaimedJob, JobQueue, utcnow
from heliograph.evaluators.judge import CallToJudge
from heliograph.evaluators.pacing import Pacer
from heliograph.evaluators.runner import Runner
from heliograph.leased_work import LeasedWorker
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import NEWEST_FIRST
from heliograph.store.scores import add_scores

log = logging.getLogger("heliograph.evaluators")
IDLE_POLL_S = 5.0
REFRESH_EVERY_S = 30.0
MIN_WAIT_S = 0.02
MAX_ATTEMPTS = 3
MAX_BODY_CHARS = 256 * 1024  # of each body given to an evaluator
COUNT_EVERY_S = 1.0
JUDGE_IDS = uuid.UUID("6f1d3c56-4c8e-4d4b-9a51-2f0e7a9b1c3d")


@dataclass
class WorkerStats:
    pending: int = 0  # jobs waiting in the queue when last counted (all processes)
    done: int = 0  # by this process since it started
    failed: int = 0
    retried: int = 0


class EvaluationWorker(LeasedWorker):
    def __init__(
        self,
        queue: JobQueue,
        runner: Runner,
        engine: ClickHouseEngine,
        refresh: Callable[[], None],
        *,
        concurrency: int,
        timeout_s: float,
        pacer: Pacer,
    ) -> None:
        super().__init__("online-evaluation", queue.release)
        self._queue, self._runner, self._engine = queue, runner, engine
        self._pacer = pacer
        self._refresh = refresh
        self._concurrency = concurrency
        self._timeout_s = timeout_s
        self._lease = timedelta(seconds=timeout_s + 10)
        self.stats = WorkerStats()

    async def _run(self) -> None:
        last_refresh = asyncio.get_running_loop().time()
        counted = last_refresh - COUNT_EVERY_S
        while not self._stopping:
            self._wake.clear()
            wait_s = IDLE_POLL_S
            try:
                now = asyncio.get_running_loop().time()
                if now - last_refresh >= REFRESH_EVERY_S:
                    last_refresh = now
                    await asyncio.to_thread(self._refresh)
                free = self._concurrency - len(self._in_flight)
                claimed: list[ClaimedJob] = []
                next_due = None
                if free > 0:  # every slot busy (or resting): nothing to ask the database
                    claimed, next_due = await asyncio.to_thread(
                        self._queue.claim_due, free, self._lease
                    )
                for job in claimed:
                    self._in_flight[job.id] = asyncio.create_task(self._evaluate(job))
                if now - counted >= COUNT_EVERY_S:  # the backlog /healthz shows
                    counted = now
                    self.stats.pending = await asyncio.to_thread(self._queue.pending)
                if next_due is not None and len(self._in_flight) < self._concurrency:
                    wait_s = min(wait_s, max(MIN_WAIT_S, (next_due - utcnow()).total_seconds()))
            except Exception:
                log.exception("online evaluation loop failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    async def _evaluate(self, job: ClaimedJob) -> None:
        try:
            async with self._pacer.turn():
                score, error = await self._score(job)
            retry_at = None
            if error is not None and error[1] and job.attempts + 1 < MAX_ATTEMPTS:
                retry_at = utcnow() + timedelta(seconds=2 ** (job.attempts + 1))
            message = None if error is None else error[0]
            status = await asyncio.to_thread(self._queue.record, job.id, score, message, retry_at)
            if status == "done":
                self.stats.done += 1
            elif status == "failed":
                self.stats.failed += 1
            else:
                self.stats.retried += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease runs out and the job is run again
            log.exception("online evaluation of request %s failed", job.request_id)
        finally:
            if self._in_flight.get(job.id) is asyncio.current_task():
                del self._in_flight[job.id]
            self._wake.set()

    async def _score(self, job: ClaimedJob) -> tuple[float | None, tuple[str, bool] | None]:
        """(score, None) once written, or (None, (error, worth retrying))."""
        evaluator = job.evaluator
        bodies = await logged_bodies(self._engine, evaluator.organization_id, job.request_id)
        if bodies is None:  # stored before it was queued: the store is not answering
            return None, ("The logged request could not be read", True)
        call = CallToJudge(*bodies)
        judge_id = str(uuid.uuid5(JUDGE_IDS, f"{job.online_evaluator_id}:{job.request_id}"))
        try:
            async with asyncio.timeout(self._timeout_s):
                score = await self._runner.score(evaluator, call, judge_id)
        except TimeoutError:
            return None, (f"The evaluator took longer than {self._timeout_s:g} s", True)
        except HeliographError as exc:
            transient = exc.status >= 500 or exc.status == 429
            return None, (exc.message, transient and "HTTP 4" not in exc.message)
        scores = {evaluator.score_name: score}
        await add_scores(self._engine, evaluator.organization_id, job.request_id, scores)
        return float(score), None


async def logged_bodies(
    engine: ClickHouseEngine, organization_id: str, request_id: str
) -> tuple[str, str] | None:
    """The request and response bodies of a logged request as stored (text), cut to
    MAX_BODY_CHARS each, or None when it cannot be read."""
    rows = await engine.select(
        f"SELECT substringUTF8(request_body, 1, {MAX_BODY_CHARS}) AS request, "
        f"substringUTF8(response_body, 1, {MAX_BODY_CHARS}) AS response FROM request_response_rmt "
        "WHERE organization_id = {org:UUID} AND request_id = {id:UUID} "
        f"{NEWEST_FIRST} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    if not rows:
        return None
    return str(rows[0]["request"]), str(rows[0]["response"])

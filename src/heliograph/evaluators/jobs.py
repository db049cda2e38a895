"""The durable queue of online evaluations (`evaluation_jobs`).

A job is unique per (online evaluator, request), so a row the log pipeline replays never
queues twice. The worker claims due jobs by pushing `next_attempt_at` past a lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set on the due time everywhere), so
two processes never run one job at once; a process killed mid-job leaves it to be claimed
again when the lease ends. A job ends `done` (its score written) or `failed` (its error).
New jobs come in through job_intake.py, within the backlog cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.evaluators.job_intake import PENDING as PENDING
from heliograph.evaluators.job_intake import NewJob as NewJob
from heliograph.evaluators.job_intake import enqueue_within_cap, waiting
from heliograph.evaluators.job_intake import utcnow as utcnow
from heliograph.evaluators.store import as_utc, evaluator_info
from heliograph.meta.models import EvaluationJob, Evaluator, OnlineEvaluator

DONE, FAILED = "done", "failed"


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: str
    online_evaluator_id: str
    request_id: str
    attempts: int  # made before this one
    evaluator: EvaluatorInfo


class JobQueue:
    def __init__(self, sessions: sessionmaker[Session], max_queued: int) -> None:
        self._sessions = sessions
        self._max_queued = max_queued

    def enqueue(self, jobs: Sequence[NewJob]) -> int:
        """Queue jobs, skipping any already queued and dropping those past `max_queued`
        waiting jobs; how many were dropped."""
        return enqueue_within_cap(self._sessions, self._max_queued, jobs)

    def claim_due(self, limit: int, lease: timedelta) -> tuple[list[ClaimedJob], datetime | None]:
        """Up to `limit` due jobs, leased to the caller, and when the next one is due."""
        now = utcnow()
        job = EvaluationJob
        claimed: list[ClaimedJob] = []
        with self._sessions.begin() as session:
            rows = session.execute(
                select(job, Evaluator)
                .join(OnlineEvaluator, OnlineEvaluator.id == job.online_evaluator_id)
                .join(Evaluator, Evaluator.id == OnlineEvaluator.evaluator_id)
                .where(job.status == PENDING, job.next_attempt_at <= now)
                .order_by(job.next_attempt_at)
                .limit(max(limit, 0))
                .with_for_update(skip_locked=True, of=job)
            ).all()
            for row, evaluator in rows:
                moved = session.execute(
                    update(job)
                    .where(
                        job.id == row.id,
                        job.status == PENDING,
                        job.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + lease)
                    .execution_options(synchronize_session=False)
                )
                if getattr(moved, "rowcount", 0) == 1:
                    claimed.append(
                        ClaimedJob(
                            row.id,
                            row.online_evaluator_id,
                            row.request_id,
                            row.attempts,
                            evaluator_info(evaluator),
                        )
                    )
            next_due = session.scalar(
                select(func.min(job.next_attempt_at)).where(job.status == PENDING)
            )
        return claimed, None if next_due is None else as_utc(next_due)

    def record(
        self, job_id: str, score: float | None, error: str | None, retry_at: datetime | None
    ) -> str:
        """One attempt's outcome: done (a score), retried at `retry_at`, or failed."""
        status = DONE if error is None else (PENDING if retry_at is not None else FAILED)
        try:
            self._record(job_id, status, score, error, retry_at)
        except StaleDataError:  # deleted with its online evaluator while it was recorded
            pass
        return status

    def _record(
        self,
        job_id: str,
        status: str,
        score: float | None,
        error: str | None,
        retry_at: datetime | None,
    ) -> None:
        with self._sessions.begin() as session:
            current = session.get(EvaluationJob, job_id)
            if current is None:  # the online evaluator was deleted meanwhile
                return
            current.attempts += 1
            current.status = status
            current.score = score
            current.error = None if error is None else error[:500]
            if status == PENDING and retry_at is not None:
                current.next_attempt_at = retry_at
            else:
                current.completed_at = utcnow()

    def release(self, job_ids: Sequence[str]) -> None:
        """Give leased jobs back now (a clean shutdown), so a restart runs them at once."""
        if job_ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(EvaluationJob)
                    .where(EvaluationJob.id.in_(list(job_ids)), EvaluationJob.status == PENDING)
                    .values(next_attempt_at=utcnow())
                )

    def pending(self) -> int:
        """Jobs waiting (or running): the backlog /healthz shows."""
        with self._sessions() as session:
            return waiting(session)

"""New jobs into the durable queue (`evaluation_jobs`), within the backlog cap.

Past `online_evaluation_max_queued` waiting jobs new ones are dropped, and the caller counts
them (/healthz): a backlog that outgrows what the evaluators can score would otherwise fill
the metadata database without bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import EvaluationJob

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class NewJob:
    online_evaluator_id: str
    organization_id: str
    request_id: str


def utcnow() -> datetime:
    return datetime.now(UTC)


def enqueue_within_cap(
    sessions: sessionmaker[Session], max_queued: int, jobs: Sequence[NewJob]
) -> int:
    """Queue jobs in one transaction, skipping any already queued and dropping those past
    `max_queued` waiting jobs; how many were dropped."""
    now = utcnow()
    values = [_values(job, now) for job in jobs]
    try:
        return _enqueue(sessions, max_queued, values)
    except IntegrityError:
        # An online evaluator deleted since the dispatcher last looked: one by one.
        dropped = 0
        for value in values:
            try:
                dropped += _enqueue(sessions, max_queued, [value])
            except IntegrityError:
                continue
        return dropped


def _enqueue(sessions: sessionmaker[Session], max_queued: int, values: list[dict[str, Any]]) -> int:
    # Counted in the inserting transaction; processes queueing at the same moment on
    # PostgreSQL may each see the same room, so the cap can be passed by about a batch.
    with sessions.begin() as session:
        room = max_queued - waiting(session)
        if room < len(values):
            # A replayed row's job is queued already: neither new nor dropped.
            queued = _already_queued(session, values)
            values = [
                v for v in values if (v["online_evaluator_id"], v["request_id"]) not in queued
            ]
        kept = values[: max(room, 0)]
        if kept:
            _insert(session, kept)
    return len(values) - len(kept)


def waiting(session: Session) -> int:
    """Jobs waiting (or running), in every process."""
    count = session.scalar(select(func.count()).where(EvaluationJob.status == PENDING))
    return int(count or 0)


def _already_queued(session: Session, values: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Which of these (online evaluator, request) pairs have a job (in any state)."""
    found = session.execute(
        select(EvaluationJob.online_evaluator_id, EvaluationJob.request_id).where(
            EvaluationJob.request_id.in_({value["request_id"] for value in values})
        )
    ).all()
    return {(online_id, request_id) for online_id, request_id in found}


def _insert(session: Session, values: list[dict[str, Any]]) -> None:
    keys = ["online_evaluator_id", "request_id"]
    statement: Any
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(EvaluationJob).on_conflict_do_nothing(index_elements=keys)
    else:  # SQLite: only the two are supported
        statement = sqlite.insert(EvaluationJob).on_conflict_do_nothing(index_elements=keys)
    session.execute(statement, values)


def _values(job: NewJob, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "online_evaluator_id": job.online_evaluator_id,
        "organization_id": job.organization_id,
        "request_id": job.request_id,
        "status": PENDING,
        "attempts": 0,
        "error": None,
        "score": None,
        "created_at": now,
        "next_attempt_at": now,
        "completed_at": None,
    }

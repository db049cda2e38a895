"""The evaluation job queue on real SQLite and real PostgreSQL: a replayed row never queues
twice, a claim leases (no second claimer gets the job until the lease ends), outcomes are
recorded, and deleting the evaluator drops its queued jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from heliograph.evaluators.definition import Definition
from heliograph.evaluators.jobs import DONE, FAILED, PENDING, JobQueue, NewJob
from heliograph.evaluators.online_config import OnlineConfig
from heliograph.evaluators.online_store import OnlineStore
from heliograph.evaluators.store import EvaluatorStore
from heliograph.meta import db
from heliograph.meta.keys import KeyStore

CODE = Definition("py", "PYTHON", None, "def evaluate(request, response):\n    return 1\n")


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.connect(database_url)
    db.migrate(engine)
    yield db.session_factory(engine)
    engine.dispose()


def test_jobs_queue_once_lease_record_and_go_with_their_evaluator(
    sessions: sessionmaker[Session],
):
    org = KeyStore(sessions).organization(f"jobs-{uuid.uuid4().hex[:6]}", create=True).id
    evaluator = EvaluatorStore(sessions).create(org, CODE)
    online = OnlineStore(sessions)
    assert online.attach(org, evaluator.id, OnlineConfig(50.0))
    [attached] = online.for_evaluator(org, evaluator.id)
    queue = JobQueue(sessions, max_queued=1000)
    requests = [str(uuid.uuid4()) for _ in range(3)]
    jobs = [NewJob(attached.id, org, r) for r in requests]
    queue.enqueue(jobs)
    queue.enqueue(jobs[:2])  # a replayed batch
    assert queue.pending() == 3
    claimed, _ = queue.claim_due(2, timedelta(minutes=1))
    assert len(claimed) == 2 and claimed[0].evaluator == evaluator
    again, next_due = queue.claim_due(5, timedelta(minutes=1))
    assert [job.request_id for job in again] == sorted(
        set(requests) - {c.request_id for c in claimed}
    )
    assert next_due is not None  # the leased ones are due again when their lease ends
    assert queue.claim_due(5, timedelta(minutes=1))[0] == []
    assert queue.record(claimed[0].id, 1.0, None, None) == DONE
    assert queue.record(claimed[1].id, None, "broken", None) == FAILED
    assert queue.pending() == 1
    queue.release([again[0].id])
    assert [job.id for job in queue.claim_due(5, timedelta(minutes=1))[0]] == [again[0].id]
    assert queue.record(again[0].id, None, "judge down", next_due) == PENDING
    with sessions() as session:
        statuses = session.execute(text("SELECT status, error FROM evaluation_jobs")).all()
    assert sorted(statuses, key=str) == sorted(
        [("done", None), ("failed", "broken"), ("pending", "judge down")], key=str
    )
    assert EvaluatorStore(sessions).delete(org, evaluator.id)
    assert queue.pending() == 0 and online.everything() == []


def test_past_the_cap_new_jobs_are_dropped_but_a_replayed_one_is_not_counted(
    sessions: sessionmaker[Session],
):
    org = KeyStore(sessions).organization(f"cap-{uuid.uuid4().hex[:6]}", create=True).id
    evaluator = EvaluatorStore(sessions).create(org, CODE)
    online = OnlineStore(sessions)
    assert online.attach(org, evaluator.id, OnlineConfig())
    online_id = online.for_evaluator(org, evaluator.id)[0].id
    waiting = JobQueue(sessions, max_queued=10_000).pending()
    queue = JobQueue(sessions, max_queued=waiting + 3)
    jobs = [NewJob(online_id, org, str(uuid.uuid4())) for _ in range(5)]
    assert queue.enqueue(jobs) == 2
    assert queue.pending() == waiting + 3
    assert queue.enqueue(jobs[:3]) == 0  # a replay of jobs already queued: none new, none lost
    assert queue.enqueue(jobs[3:]) == 2  # still no room for the ones left out
    assert queue.pending() == waiting + 3

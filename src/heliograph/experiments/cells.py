"""The run queue of experiments: the outputs still to be made, in `experiment_outputs`.

A run queues one pending output per (row, version) cell that has none yet (a failed cell,
or one whose row's inputs changed since, gets a new one). Each output's `request_id` is
chosen when it is queued. The runner claims due outputs by pushing `next_attempt_at` past a
lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set on the due time
everywhere); a process killed mid-call leaves the output to be claimed again when the lease
ends, and the runner then looks for its request in the log store before calling again.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from heliograph.errors import InvalidRequestError
from heliograph.experiments.rules import (
    DONE,
    FAILED,
    IDLE,
    MAX_OUTPUTS_PER_CELL,
    PENDING,
    RUNNING,
)
from heliograph.experiments.store import RunSettings
from heliograph.meta.experiment_models import Experiment, ExperimentOutput, ExperimentRow
from heliograph.meta.models import utcnow


@dataclass(frozen=True, slots=True)
class Cell:
    """A claimed output: the call to make for it."""

    id: str
    experiment_id: str
    organization_id: str
    prompt_id: str
    prompt_version_id: str
    request_id: str
    attempts: int  # recorded before this one
    claimed_before: bool  # leased before: a call may have been made (and logged) already
    inputs: dict[str, Any]
    run: RunSettings


@dataclass(frozen=True, slots=True)
class RunningExperiment:
    id: str
    organization_id: str
    concurrency: int


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pending(experiment_id: str, row_id: str, version_id: str, now: datetime) -> ExperimentOutput:
    return ExperimentOutput(
        id=str(uuid.uuid4()),
        experiment_id=experiment_id,
        row_id=row_id,
        prompt_version_id=version_id,
        is_original=False,
        request_id=str(uuid.uuid4()),
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


class CellQueue:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def queue_missing(self, experiment_id: str, version_ids: Sequence[str]) -> int:
        """Queue an output for every cell of `version_ids` without a current one (pending
        or done, made since its row last changed) and with room for one more (a cell keeps
        at most MAX_OUTPUTS_PER_CELL); how many were queued."""
        now = utcnow()
        with self._sessions.begin() as session:
            rows = session.execute(
                select(ExperimentRow.id, ExperimentRow.updated_at).where(
                    ExperimentRow.experiment_id == experiment_id
                )
            ).all()
            current = _current_cells(session, experiment_id, dict(rows))
            full = _full_cells(session, experiment_id)
            added = [
                _pending(experiment_id, row_id, version_id, now)
                for row_id, _ in rows
                for version_id in version_ids
                if (row_id, version_id) not in current and (row_id, version_id) not in full
            ]
            session.add_all(added)
        return len(added)

    def queue_one(self, experiment_id: str, row_id: str, version_id: str) -> str:
        """Queue one output (Helicone's run-hypothesis): its request id. Refused (400) for
        a cell that holds MAX_OUTPUTS_PER_CELL outputs already."""
        output = _pending(experiment_id, row_id, version_id, utcnow())
        with self._sessions.begin() as session:
            if (row_id, version_id) in _full_cells(session, experiment_id, row_id):
                raise InvalidRequestError(
                    f"This row has {MAX_OUTPUTS_PER_CELL} outputs of this version already: "
                    "remove the row (or add it again) to run it more"
                )
            session.add(output)
        return output.request_id

    def running(self) -> list[RunningExperiment]:
        with self._sessions() as session:
            found = session.execute(
                select(Experiment.id, Experiment.organization_id, Experiment.concurrency)
                .where(Experiment.status == RUNNING)
                .order_by(Experiment.updated_at)
            ).all()
        return [RunningExperiment(*row) for row in found]

    def claim_due(
        self, experiment_id: str, limit: int, lease: timedelta
    ) -> tuple[list[Cell], datetime | None]:
        """Up to `limit` due outputs of the experiment, leased to the caller, and when its
        next pending output is due (None when it has none left: the run is over)."""
        now = utcnow()
        out = ExperimentOutput
        claimed: list[Cell] = []
        with self._sessions.begin() as session:
            found = session.execute(
                select(out, ExperimentRow.inputs, Experiment)
                .join(ExperimentRow, ExperimentRow.id == out.row_id)
                .join(Experiment, Experiment.id == out.experiment_id)
                .where(
                    out.experiment_id == experiment_id,
                    out.status == PENDING,
                    out.next_attempt_at <= now,
                )
                .order_by(out.next_attempt_at, out.id)
                .limit(max(limit, 0))
                .with_for_update(skip_locked=True, of=out)
            ).all()
            for row, inputs, experiment in found:
                moved = session.execute(
                    update(out)
                    .where(
                        out.id == row.id,
                        out.status == PENDING,
                        out.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + lease)
                    .execution_options(synchronize_session=False)
                )
                if getattr(moved, "rowcount", 0) == 1:
                    claimed.append(_cell(row, dict(inputs or {}), experiment))
            next_due = session.scalar(
                select(func.min(out.next_attempt_at)).where(
                    out.experiment_id == experiment_id, out.status == PENDING
                )
            )
        return claimed, None if next_due is None else as_utc(next_due)

    def record(
        self, output_id: str, error: str | None, retry_at: datetime | None, counted: bool = True
    ) -> str:
        """One attempt's outcome: done, failed (its error kept), or pending until `retry_at`
        (`counted` False: a try a rate limit held back, which counts against no limit)."""
        status = DONE if error is None else (PENDING if retry_at is not None else FAILED)
        try:
            with self._sessions.begin() as session:
                current = session.get(ExperimentOutput, output_id)
                if current is None:  # its row or experiment was deleted meanwhile
                    return status
                current.attempts += int(counted)
                current.status = status
                current.error = None if error is None else error[:1000]
                if status == PENDING and retry_at is not None:
                    current.next_attempt_at = retry_at
                else:
                    current.completed_at = utcnow()
        except StaleDataError:
            pass
        return status

    def release(self, output_ids: Sequence[str]) -> None:
        """Give leased outputs back now (a clean shutdown), so a restart runs them at once."""
        if output_ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(ExperimentOutput)
                    .where(
                        ExperimentOutput.id.in_(list(output_ids)),
                        ExperimentOutput.status == PENDING,
                    )
                    .values(next_attempt_at=utcnow())
                )

    def finish(self, experiment_id: str) -> None:
        """The run is over: nothing is pending."""
        with self._sessions.begin() as session:
            left = session.scalar(
                select(func.count()).where(
                    ExperimentOutput.experiment_id == experiment_id,
                    ExperimentOutput.status == PENDING,
                )
            )
            if not left:
                session.execute(
                    update(Experiment)
                    .where(Experiment.id == experiment_id, Experiment.status == RUNNING)
                    .values(status=IDLE)
                )

    def progress(self, experiment_id: str) -> Counter[str]:
        """Outputs made by runs (not the logged originals), counted by status."""
        with self._sessions() as session:
            found = session.execute(
                select(ExperimentOutput.status, func.count())
                .where(
                    ExperimentOutput.experiment_id == experiment_id,
                    ExperimentOutput.is_original.is_(False),
                )
                .group_by(ExperimentOutput.status)
            ).all()
        return Counter({status: int(count) for status, count in found})


def _full_cells(
    session: Session, experiment_id: str, row_id: str | None = None
) -> set[tuple[str, str]]:
    """Cells holding MAX_OUTPUTS_PER_CELL outputs made by runs."""
    out = ExperimentOutput
    query = (
        select(out.row_id, out.prompt_version_id)
        .where(out.experiment_id == experiment_id, out.is_original.is_(False))
        .group_by(out.row_id, out.prompt_version_id)
        .having(func.count() >= MAX_OUTPUTS_PER_CELL)
    )
    if row_id is not None:
        query = query.where(out.row_id == row_id)
    return {(found_row, version) for found_row, version in session.execute(query).all()}


def _current_cells(
    session: Session, experiment_id: str, changed_at: dict[str, datetime]
) -> set[tuple[str, str]]:
    """Cells with a pending output, or a done one made since its row last changed."""
    found = session.execute(
        select(
            ExperimentOutput.row_id,
            ExperimentOutput.prompt_version_id,
            ExperimentOutput.status,
            ExperimentOutput.created_at,
        ).where(
            ExperimentOutput.experiment_id == experiment_id,
            ExperimentOutput.is_original.is_(False),
            ExperimentOutput.status != FAILED,
        )
    ).all()
    return {
        (row_id, version_id)
        for row_id, version_id, status, created_at in found
        if status == PENDING or as_utc(created_at) >= as_utc(changed_at.get(row_id, created_at))
    }


def _cell(row: ExperimentOutput, inputs: dict[str, Any], experiment: Experiment) -> Cell:
    return Cell(
        id=row.id,
        experiment_id=row.experiment_id,
        organization_id=experiment.organization_id,
        prompt_id=experiment.prompt_id,
        prompt_version_id=row.prompt_version_id,
        request_id=row.request_id,
        attempts=row.attempts,
        # A fresh output is due when it was made; a lease or a retry moved it since.
        claimed_before=as_utc(row.next_attempt_at) != as_utc(row.created_at),
        inputs=inputs,
        run=RunSettings(
            experiment.concurrency,
            experiment.cache_enabled,
            experiment.model,
            experiment.rate_limit_policy,
        ),
    )

"""An experiment's rows (Helicone's prompt input records) and their outputs, read and
changed in the metadata database.

Adding locks the experiment's row for the transaction, so concurrent adds cannot take an
experiment past MAX_ROWS. A row made from a logged request gets that request as its
"original" output, as Helicone's table shows it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.experiments.rules import DONE, MAX_ROWS
from heliograph.experiments.store import locked_experiment
from heliograph.meta.experiment_models import Experiment, ExperimentOutput, ExperimentRow
from heliograph.meta.models import utcnow


@dataclass(frozen=True)
class NewRow:
    inputs: dict[str, Any]
    auto_inputs: list[Any] = field(default_factory=list)
    source_request_id: str | None = None
    dataset_row_id: str | None = None


@dataclass(frozen=True)
class OutputInfo:
    id: str
    row_id: str
    request_id: str
    prompt_version_id: str
    is_original: bool
    status: str
    error: str | None
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class RowInfo:
    id: str
    inputs: dict[str, Any]
    auto_inputs: list[Any]
    source_request_id: str | None
    dataset_row_id: str | None
    created_at: datetime
    updated_at: datetime
    outputs: list[OutputInfo]


def output_info(row: ExperimentOutput) -> OutputInfo:
    return OutputInfo(
        id=row.id,
        row_id=row.row_id,
        request_id=row.request_id,
        prompt_version_id=row.prompt_version_id,
        is_original=row.is_original,
        status=row.status,
        error=row.error,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


class RowStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, org: str, experiment_id: str, rows: list[NewRow]) -> list[str] | None:
        """The new rows' ids, in order; None for no such experiment."""
        with self.sessions.begin() as session:
            experiment = locked_experiment(session, org, experiment_id)
            if experiment is None:
                return None
            held = session.scalar(
                select(func.max(ExperimentRow.position)).where(
                    ExperimentRow.experiment_id == experiment_id
                )
            )
            count = self._count(session, experiment_id)
            if count + len(rows) > MAX_ROWS:
                raise InvalidRequestError(f"An experiment holds at most {MAX_ROWS} rows")
            start = (held if held is not None else -1) + 1
            return [self._add(session, experiment, start + i, row) for i, row in enumerate(rows)]

    def _add(self, session: Session, experiment: Experiment, position: int, new: NewRow) -> str:
        row_id = str(uuid.uuid4())
        session.add(
            ExperimentRow(
                id=row_id,
                experiment_id=experiment.id,
                inputs=new.inputs,
                auto_inputs=new.auto_inputs,
                source_request_id=new.source_request_id,
                dataset_row_id=new.dataset_row_id,
                position=position,
            )
        )
        if new.source_request_id is not None:
            session.flush()  # the row before the output that names it
            now = utcnow()
            session.add(
                ExperimentOutput(
                    id=str(uuid.uuid4()),
                    experiment_id=experiment.id,
                    row_id=row_id,
                    prompt_version_id=experiment.original_prompt_version,
                    is_original=True,
                    request_id=new.source_request_id,
                    status=DONE,
                    next_attempt_at=now,
                    completed_at=now,
                )
            )
        return row_id

    def _count(self, session: Session, experiment_id: str) -> int:
        counted = select(func.count()).where(ExperimentRow.experiment_id == experiment_id)
        return int(session.scalar(counted) or 0)

    def count(self, experiment_id: str) -> int:
        with self.sessions() as session:
            return self._count(session, experiment_id)

    def update(self, org: str, experiment_id: str, row_id: str, inputs: dict[str, Any]) -> bool:
        """New inputs for a row: its earlier outputs stay, a run makes new ones."""
        with self.sessions.begin() as session:
            if locked_experiment(session, org, experiment_id) is None:
                return False
            done = session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.id == row_id, ExperimentRow.experiment_id == experiment_id)
                .values(inputs=inputs, updated_at=utcnow())
            )
            return bool(getattr(done, "rowcount", 0))

    def delete(self, org: str, experiment_id: str, row_ids: list[str]) -> bool:
        """Remove rows (with their outputs); False for no such experiment."""
        with self.sessions.begin() as session:
            if locked_experiment(session, org, experiment_id) is None:
                return False
            session.execute(
                delete(ExperimentOutput).where(
                    ExperimentOutput.experiment_id == experiment_id,
                    ExperimentOutput.row_id.in_(row_ids),
                )
            )
            session.execute(
                delete(ExperimentRow).where(
                    ExperimentRow.experiment_id == experiment_id, ExperimentRow.id.in_(row_ids)
                )
            )
            return True

    def page(self, experiment_id: str, offset: int, limit: int) -> list[RowInfo]:
        """Rows in the order they were added, each with its outputs, newest first."""
        with self.sessions() as session:
            rows = list(
                session.scalars(
                    select(ExperimentRow)
                    .where(ExperimentRow.experiment_id == experiment_id)
                    .order_by(ExperimentRow.position)
                    .offset(offset)
                    .limit(limit)
                )
            )
            outputs: dict[str, list[OutputInfo]] = defaultdict(list)
            found = session.scalars(
                select(ExperimentOutput)
                .where(ExperimentOutput.row_id.in_([row.id for row in rows]))
                .order_by(ExperimentOutput.created_at.desc(), ExperimentOutput.id)
            )
            for output in found:
                outputs[output.row_id].append(output_info(output))
            return [_row_info(row, outputs[row.id]) for row in rows]

    def inputs_page(self, experiment_id: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """The inputs of a page of rows, in the order they were added."""
        with self.sessions() as session:
            found = session.scalars(
                select(ExperimentRow.inputs)
                .where(ExperimentRow.experiment_id == experiment_id)
                .order_by(ExperimentRow.position)
                .offset(offset)
                .limit(limit)
            )
            return [dict(inputs or {}) for inputs in found]

    def get(self, experiment_id: str, row_id: str) -> RowInfo | None:
        with self.sessions() as session:
            row = session.get(ExperimentRow, row_id)
            if row is None or row.experiment_id != experiment_id:
                return None
            return _row_info(row, [])


def _row_info(row: ExperimentRow, outputs: list[OutputInfo]) -> RowInfo:
    return RowInfo(
        id=row.id,
        inputs=dict(row.inputs or {}),
        auto_inputs=list(row.auto_inputs or []),
        source_request_id=row.source_request_id,
        dataset_row_id=row.dataset_row_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        outputs=outputs,
    )

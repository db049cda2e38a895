"""Evaluators and their online attachments in the metadata database, organization-scoped."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.evaluators.definition import Definition, EvaluatorInfo, template_text
from heliograph.evaluators.online_config import OnlineConfig
from heliograph.meta.models import Evaluator, OnlineEvaluator

MAX_EVALUATORS = 1000  # per organization
MAX_ONLINE_PER_EVALUATOR = 20


@dataclass(frozen=True, slots=True)
class OnlineInfo:
    id: str
    organization_id: str
    evaluator_id: str
    config: OnlineConfig
    created_at: datetime


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def canonical_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def evaluator_info(row: Evaluator) -> EvaluatorInfo:
    return EvaluatorInfo(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        scoring_type=row.scoring_type,
        llm_template=None if row.llm_template is None else json.loads(row.llm_template),
        code_template=row.code_template,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def online_info(row: OnlineEvaluator) -> OnlineInfo:
    return OnlineInfo(
        row.id,
        row.organization_id,
        row.evaluator_id,
        OnlineConfig.from_json(row.config),
        as_utc(row.created_at),
    )


def _fill(row: Evaluator, definition: Definition) -> None:
    row.name = definition.name
    row.scoring_type = definition.scoring_type
    template = definition.llm_template
    row.llm_template = None if template is None else template_text(template)
    row.code_template = definition.code_template
    row.updated_at = datetime.now(UTC)


class EvaluatorStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, organization_id: str, definition: Definition) -> EvaluatorInfo:
        with self._sessions.begin() as session:
            count = session.scalar(
                select(func.count()).where(Evaluator.organization_id == organization_id)
            )
            if (count or 0) >= MAX_EVALUATORS:
                raise InvalidRequestError(
                    f"An organization has at most {MAX_EVALUATORS} evaluators"
                )
            now = datetime.now(UTC)
            row = Evaluator(id=str(uuid.uuid4()), organization_id=organization_id, created_at=now)
            _fill(row, definition)
            session.add(row)
            session.flush()
            return evaluator_info(row)

    def _row(self, session: Session, organization_id: str, evaluator_id: str) -> Evaluator | None:
        canonical = canonical_id(evaluator_id)
        if canonical is None:
            return None
        return session.scalars(
            select(Evaluator).where(
                Evaluator.organization_id == organization_id, Evaluator.id == canonical
            )
        ).first()

    def get(self, organization_id: str, evaluator_id: str) -> EvaluatorInfo | None:
        with self._sessions() as session:
            row = self._row(session, organization_id, evaluator_id)
            return None if row is None else evaluator_info(row)

    def list_for(self, organization_id: str) -> list[EvaluatorInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Evaluator)
                .where(Evaluator.organization_id == organization_id)
                .order_by(Evaluator.created_at.desc(), Evaluator.id)
            ).all()
            return [evaluator_info(row) for row in rows]

    def update(
        self, organization_id: str, evaluator_id: str, definition: Definition
    ) -> EvaluatorInfo | None:
        with self._sessions.begin() as session:
            row = self._row(session, organization_id, evaluator_id)
            if row is None:
                return None
            _fill(row, definition)
            session.flush()
            return evaluator_info(row)

    def delete(self, organization_id: str, evaluator_id: str) -> bool:
        """Remove the evaluator with its online attachments and their queued jobs."""
        canonical = canonical_id(evaluator_id)
        if canonical is None:
            return False
        with self._sessions.begin() as session:
            result = session.execute(
                delete(Evaluator).where(
                    Evaluator.organization_id == organization_id, Evaluator.id == canonical
                )
            )
        return bool(getattr(result, "rowcount", 0))

"""Online evaluators (an evaluator attached to live traffic), organization-scoped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.evaluators.online_config import OnlineConfig
from heliograph.evaluators.store import (
    MAX_ONLINE_PER_EVALUATOR,
    OnlineInfo,
    canonical_id,
    evaluator_info,
    online_info,
)
from heliograph.meta.models import Evaluator, OnlineEvaluator


class OnlineStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def attach(self, organization_id: str, evaluator_id: str, config: OnlineConfig) -> bool:
        """Attach the organization's evaluator to live traffic; False when there is none."""
        canonical = canonical_id(evaluator_id)
        if canonical is None:
            return False
        with self._sessions.begin() as session:
            found = session.scalar(
                select(Evaluator.id).where(
                    Evaluator.organization_id == organization_id, Evaluator.id == canonical
                )
            )
            if found is None:
                return False
            count = session.scalar(
                select(func.count()).where(OnlineEvaluator.evaluator_id == canonical)
            )
            if (count or 0) >= MAX_ONLINE_PER_EVALUATOR:
                raise InvalidRequestError(
                    f"An evaluator has at most {MAX_ONLINE_PER_EVALUATOR} online evaluators"
                )
            session.add(
                OnlineEvaluator(
                    id=str(uuid.uuid4()),
                    organization_id=organization_id,
                    evaluator_id=canonical,
                    config=config.to_json(),
                    created_at=datetime.now(UTC),
                )
            )
        return True

    def for_evaluator(self, organization_id: str, evaluator_id: str) -> list[OnlineInfo]:
        canonical = canonical_id(evaluator_id) or ""
        with self._sessions() as session:
            rows = session.scalars(
                select(OnlineEvaluator)
                .where(
                    OnlineEvaluator.organization_id == organization_id,
                    OnlineEvaluator.evaluator_id == canonical,
                )
                .order_by(OnlineEvaluator.created_at, OnlineEvaluator.id)
            ).all()
            return [online_info(row) for row in rows]

    def detach(self, organization_id: str, evaluator_id: str, online_id: str) -> bool:
        """Remove an online evaluator of the organization's evaluator, with its queued jobs."""
        evaluator, online = canonical_id(evaluator_id), canonical_id(online_id)
        if evaluator is None or online is None:
            return False
        with self._sessions.begin() as session:
            result = session.execute(
                delete(OnlineEvaluator).where(
                    OnlineEvaluator.organization_id == organization_id,
                    OnlineEvaluator.evaluator_id == evaluator,
                    OnlineEvaluator.id == online,
                )
            )
        return bool(getattr(result, "rowcount", 0))

    def everything(self) -> list[tuple[OnlineInfo, EvaluatorInfo]]:
        """Every online evaluator of every organization with its evaluator (the dispatcher's)."""
        with self._sessions() as session:
            rows = session.execute(
                select(OnlineEvaluator, Evaluator).join(
                    Evaluator, Evaluator.id == OnlineEvaluator.evaluator_id
                )
            ).all()
            return [(online_info(online), evaluator_info(evaluator)) for online, evaluator in rows]

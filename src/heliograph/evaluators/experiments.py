"""The experiments an evaluator scores (Helicone's `GET /v1/evaluator/{id}/experiments`),
read from the experiments' `experiment_evaluators` table, in Helicone's
`EvaluatorExperiment` shape: `{"experiment_id", "experiment_created_at", "experiment_name"}`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.evaluators.store import as_utc
from heliograph.meta.experiment_models import Experiment, ExperimentEvaluator


def experiments_of(
    sessions: sessionmaker[Session], organization_id: str, evaluator_id: str
) -> list[dict[str, Any]]:
    """The organization's experiments that `evaluator_id` scores, newest first."""
    with sessions() as session:
        rows = session.scalars(
            select(Experiment)
            .join(ExperimentEvaluator, ExperimentEvaluator.experiment_id == Experiment.id)
            .where(
                ExperimentEvaluator.evaluator_id == evaluator_id,
                ExperimentEvaluator.organization_id == organization_id,
                Experiment.organization_id == organization_id,
            )
            .order_by(Experiment.created_at.desc(), Experiment.id)
        ).all()
        return [
            {
                "experiment_id": row.id,
                "experiment_created_at": as_utc(row.created_at).isoformat(),
                "experiment_name": row.name,
            }
            for row in rows
        ]

"""The experiments an evaluator is attached to (Helicone's `GET /v1/evaluator/{id}/experiments`).

Experiments (heliograph/experiments, with its `experiment_evaluators` table) are not on this
branch yet: until they are, no evaluator is attached to any, and this answers an empty list.
The experiments work fills it in, in Helicone's `EvaluatorExperiment` shape:
`{"experiment_id", "experiment_created_at", "experiment_name"}`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker


def experiments_of(
    sessions: sessionmaker[Session], organization_id: str, evaluator_id: str
) -> list[dict[str, Any]]:
    """The organization's experiments that `evaluator_id` scores, newest first."""
    del sessions, organization_id, evaluator_id  # read once experiment_evaluators exists
    return []

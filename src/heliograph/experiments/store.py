"""Experiments in the metadata database, organization-scoped: the experiment, the prompt
versions it compares and the evaluators attached to it. Rows and outputs are in rows.py
and cells.py. Another organization's experiment is never listed and answers as a missing
one does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.experiments.rules import DEFAULT_CONCURRENCY, IDLE, MAX_EXPERIMENTS, MAX_VARIANTS
from heliograph.meta.experiment_models import (
    Experiment,
    ExperimentEvaluator,
    ExperimentRow,
    ExperimentVariant,
)
from heliograph.meta.models import Evaluator, Prompt, utcnow


@dataclass(frozen=True)
class RunSettings:
    """How the last run was asked for: calls at once, the cache, a model over the
    versions' own, and a Helicone-RateLimit-Policy for its calls."""

    concurrency: int = DEFAULT_CONCURRENCY
    cache_enabled: bool = False
    model: str | None = None
    rate_limit_policy: str | None = None


@dataclass(frozen=True)
class ExperimentInfo:
    id: str
    organization_id: str
    name: str
    prompt_id: str
    original_prompt_version: str
    input_keys: list[str]
    status: str
    run: RunSettings
    created_at: datetime
    prompt_name: str = ""  # "" once the prompt is deleted
    row_count: int = 0


@dataclass(frozen=True)
class VariantInfo:
    prompt_version_id: str
    is_original: bool
    label: str
    created_at: datetime


def _with_names_and_counts(org: str) -> Select[Any]:
    """The organization's experiments, each with its prompt's name and its row count."""
    rows = (
        select(func.count())
        .where(ExperimentRow.experiment_id == Experiment.id)
        .correlate(Experiment)
        .scalar_subquery()
    )
    prompt = and_(Prompt.id == Experiment.prompt_id, Prompt.organization_id == org)
    return (
        select(Experiment, Prompt.name, rows)
        .outerjoin(Prompt, prompt)
        .where(Experiment.organization_id == org)
    )


def _info(row: Experiment, prompt_name: str | None = None, rows: int = 0) -> ExperimentInfo:
    return ExperimentInfo(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        prompt_id=row.prompt_id,
        original_prompt_version=row.original_prompt_version,
        input_keys=list(row.input_keys or []),
        status=row.status,
        run=RunSettings(row.concurrency, row.cache_enabled, row.model, row.rate_limit_policy),
        created_at=row.created_at,
        prompt_name=prompt_name or "",
        row_count=int(rows or 0),
    )


class ExperimentStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def create(self, org: str, name: str, prompt_id: str, version_id: str, keys: list[str]) -> str:
        """A new experiment comparing versions of `prompt_id`, `version_id` the original."""
        with self.sessions.begin() as session:
            held = session.scalar(
                select(func.count())
                .select_from(Experiment)
                .where(Experiment.organization_id == org)
            )
            if (held or 0) >= MAX_EXPERIMENTS:
                raise InvalidRequestError(
                    f"An organization holds at most {MAX_EXPERIMENTS} experiments"
                )
            experiment_id = str(uuid.uuid4())
            session.add(
                Experiment(
                    id=experiment_id,
                    organization_id=org,
                    name=name,
                    prompt_id=prompt_id,
                    original_prompt_version=version_id,
                    input_keys=keys,
                    status=IDLE,
                    concurrency=DEFAULT_CONCURRENCY,
                    cache_enabled=False,
                )
            )
            session.flush()
            session.add(_variant(experiment_id, version_id, "Original", is_original=True))
        return experiment_id

    def of_organization(self, org: str) -> list[ExperimentInfo]:
        """The organization's experiments, newest first."""
        with self.sessions() as session:
            found = session.execute(
                _with_names_and_counts(org).order_by(Experiment.created_at.desc(), Experiment.id)
            )
            return [_info(*row) for row in found]

    def get(self, org: str, experiment_id: str) -> ExperimentInfo | None:
        with self.sessions() as session:
            found = session.execute(
                _with_names_and_counts(org).where(Experiment.id == experiment_id)
            ).first()
            return None if found is None else _info(*found)

    def delete(self, org: str, experiment_id: str) -> bool:
        """Delete the experiment with its rows and outputs (the calls stay logged)."""
        with self.sessions.begin() as session:
            done = session.execute(
                delete(Experiment).where(
                    Experiment.id == experiment_id, Experiment.organization_id == org
                )
            )
            return bool(getattr(done, "rowcount", 0))

    def set_status(
        self, org: str, experiment_id: str, status: str, run: RunSettings | None = None
    ) -> bool:
        """Mark the experiment running or idle; a new run's settings with it."""
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if run is not None:
            values |= {
                "concurrency": run.concurrency,
                "cache_enabled": run.cache_enabled,
                "model": run.model,
                "rate_limit_policy": run.rate_limit_policy,
            }
        with self.sessions.begin() as session:
            done = session.execute(
                update(Experiment)
                .where(Experiment.id == experiment_id, Experiment.organization_id == org)
                .values(**values)
            )
            return bool(getattr(done, "rowcount", 0))

    def variants(self, experiment_id: str) -> list[VariantInfo]:
        """The versions compared, the original first, then in the order they were added."""
        with self.sessions() as session:
            found = session.scalars(
                select(ExperimentVariant)
                .where(ExperimentVariant.experiment_id == experiment_id)
                .order_by(ExperimentVariant.is_original.desc(), ExperimentVariant.created_at)
            )
            return [
                VariantInfo(v.prompt_version_id, v.is_original, v.label, v.created_at)
                for v in found
            ]

    def add_variant(
        self, org: str, experiment_id: str, version_id: str, label: str, keys: list[str]
    ) -> bool:
        """Compare `version_id` too (its input keys join the experiment's); False for no
        such experiment. Refused past MAX_VARIANTS."""
        with self.sessions.begin() as session:
            experiment = locked_experiment(session, org, experiment_id)
            if experiment is None:
                return False
            held = session.scalar(
                select(func.count()).where(ExperimentVariant.experiment_id == experiment_id)
            )
            if (held or 0) >= MAX_VARIANTS:
                raise InvalidRequestError(
                    f"An experiment compares at most {MAX_VARIANTS} prompt versions"
                )
            if session.scalar(_variant_query(experiment_id, version_id)) is None:
                session.add(_variant(experiment_id, version_id, label, is_original=False))
            experiment.input_keys = list(dict.fromkeys([*experiment.input_keys, *keys]))
            return True

    def remove_variant(self, org: str, experiment_id: str, version_id: str) -> bool:
        """Stop comparing a version (never the original); its outputs stay in the table."""
        with self.sessions.begin() as session:
            if locked_experiment(session, org, experiment_id) is None:
                return False
            done = session.execute(
                delete(ExperimentVariant).where(
                    ExperimentVariant.experiment_id == experiment_id,
                    ExperimentVariant.prompt_version_id == version_id,
                    ExperimentVariant.is_original.is_(False),
                )
            )
            return bool(getattr(done, "rowcount", 0))

    def evaluator_ids(self, experiment_id: str) -> list[str]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(ExperimentEvaluator.evaluator_id)
                    .where(ExperimentEvaluator.experiment_id == experiment_id)
                    .order_by(ExperimentEvaluator.created_at)
                )
            )

    def attach_evaluator(self, org: str, experiment_id: str, evaluator_id: str) -> bool:
        """False when the experiment or the evaluator is not the organization's."""
        with self.sessions.begin() as session:
            evaluator = session.get(Evaluator, evaluator_id)
            if locked_experiment(session, org, experiment_id) is None or evaluator is None:
                return False
            if evaluator.organization_id != org:
                return False
            if session.get(ExperimentEvaluator, (experiment_id, evaluator_id)) is None:
                session.add(
                    ExperimentEvaluator(
                        experiment_id=experiment_id, evaluator_id=evaluator_id, organization_id=org
                    )
                )
            return True

    def detach_evaluator(self, org: str, experiment_id: str, evaluator_id: str) -> bool:
        with self.sessions.begin() as session:
            done = session.execute(
                delete(ExperimentEvaluator).where(
                    ExperimentEvaluator.experiment_id == experiment_id,
                    ExperimentEvaluator.evaluator_id == evaluator_id,
                    ExperimentEvaluator.organization_id == org,
                )
            )
            return bool(getattr(done, "rowcount", 0))


def locked_experiment(session: Session, org: str, experiment_id: str) -> Experiment | None:
    """The organization's experiment, its row locked for the transaction (PostgreSQL)."""
    row = session.scalar(
        select(Experiment)
        .where(Experiment.id == experiment_id, Experiment.organization_id == org)
        .with_for_update()
    )
    return row


def _variant_query(experiment_id: str, version_id: str) -> Select[Any]:
    return select(ExperimentVariant.id).where(
        ExperimentVariant.experiment_id == experiment_id,
        ExperimentVariant.prompt_version_id == version_id,
    )


def _variant(
    experiment_id: str, version_id: str, label: str, *, is_original: bool
) -> ExperimentVariant:
    return ExperimentVariant(
        id=str(uuid.uuid4()),
        experiment_id=experiment_id,
        prompt_version_id=version_id,
        is_original=is_original,
        label=label,
    )

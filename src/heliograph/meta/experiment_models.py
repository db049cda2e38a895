"""Metadata tables of experiments (migration m0013): an experiment over one prompt, the
prompt versions it compares, the evaluators that score it, its rows of inputs and the
outputs (calls) made for each row and version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from heliograph.meta.models import Base, utcnow


class Experiment(Base):
    """Helicone's `experiment_v3`. `status` is "idle" or "running" (its outputs are being
    made); `concurrency`, `cache_enabled`, `model` (over the versions' own) and
    `rate_limit_policy` (a Helicone-RateLimit-Policy) are those of the last run asked for."""

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    prompt_id: Mapped[str] = mapped_column(String(128))
    original_prompt_version: Mapped[str] = mapped_column(String(36))
    input_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="idle")
    concurrency: Mapped[int] = mapped_column(Integer, default=4)
    cache_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    rate_limit_policy: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExperimentVariant(Base):
    """A prompt version the experiment compares (the original first)."""

    __tablename__ = "experiment_variants"
    __table_args__ = (UniqueConstraint("experiment_id", "prompt_version_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    prompt_version_id: Mapped[str] = mapped_column(String(36))
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExperimentEvaluator(Base):
    """An evaluator that scores every output of the experiment."""

    __tablename__ = "experiment_evaluators"

    experiment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    evaluator_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("evaluators.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExperimentRow(Base):
    """Helicone's `prompt_input_record` of an experiment: the inputs of one row, and the
    logged request or dataset row it came from."""

    __tablename__ = "experiment_rows"
    __table_args__ = (Index("ix_experiment_rows_order", "experiment_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiments.id", ondelete="CASCADE")
    )
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    auto_inputs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_request_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    dataset_row_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExperimentOutput(Base):
    """Helicone's `experiment_output`: one call of a version on a row (or, `is_original`, the
    logged request the row came from, which several experiments may name). It is also the
    run's durable queue: a pending output is claimed by pushing `next_attempt_at` past a
    lease; `request_id` is chosen when it is queued, so a call made again after a crash is
    logged under the same id."""

    __tablename__ = "experiment_outputs"
    __table_args__ = (
        Index("ix_experiment_outputs_due", "status", "next_attempt_at"),
        Index("ix_experiment_outputs_row", "row_id", "prompt_version_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    row_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiment_rows.id", ondelete="CASCADE")
    )
    prompt_version_id: Mapped[str] = mapped_column(String(36))
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

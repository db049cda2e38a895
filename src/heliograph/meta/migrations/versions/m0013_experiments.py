"""Experiments: prompt versions compared over rows of inputs, with their outputs (m0013).

Revision ID: m0013
Revises: m0012
"""

import sqlalchemy as sa
from alembic import op

revision = "m0013"
down_revision = "m0012"
branch_labels = None
depends_on = None


def _experiment_id() -> sa.Column[str]:
    return sa.Column(
        "experiment_id",
        sa.String(36),
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("prompt_id", sa.String(128), nullable=False),
        sa.Column("original_prompt_version", sa.String(36), nullable=False),
        sa.Column("input_keys", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("cache_enabled", sa.Boolean(), nullable=False),
        sa.Column("model", sa.String(256), nullable=True),
        sa.Column("rate_limit_policy", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "experiment_variants",
        sa.Column("id", sa.String(36), primary_key=True),
        _experiment_id(),
        sa.Column("prompt_version_id", sa.String(36), nullable=False),
        sa.Column("is_original", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("experiment_id", "prompt_version_id"),
    )
    op.create_index(
        "ix_experiment_variants_experiment_id", "experiment_variants", ["experiment_id"]
    )
    op.create_table(
        "experiment_evaluators",
        sa.Column(
            "experiment_id",
            sa.String(36),
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "evaluator_id",
            sa.String(36),
            sa.ForeignKey("evaluators.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("organization_id", sa.String(36), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "experiment_rows",
        sa.Column("id", sa.String(36), primary_key=True),
        _experiment_id(),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("auto_inputs", sa.JSON(), nullable=False),
        sa.Column("source_request_id", sa.String(36), nullable=True),
        sa.Column("dataset_row_id", sa.String(36), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_experiment_rows_order", "experiment_rows", ["experiment_id", "position"])
    op.create_table(
        "experiment_outputs",
        sa.Column("id", sa.String(36), primary_key=True),
        _experiment_id(),
        sa.Column(
            "row_id",
            sa.String(36),
            sa.ForeignKey("experiment_rows.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("prompt_version_id", sa.String(36), nullable=False),
        sa.Column("is_original", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_experiment_outputs_experiment_id", "experiment_outputs", ["experiment_id"])
    op.create_index("ix_experiment_outputs_request_id", "experiment_outputs", ["request_id"])
    op.create_index(
        "ix_experiment_outputs_due", "experiment_outputs", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_experiment_outputs_row", "experiment_outputs", ["row_id", "prompt_version_id"]
    )


def downgrade() -> None:
    for table in (
        "experiment_outputs",
        "experiment_rows",
        "experiment_evaluators",
        "experiment_variants",
        "experiments",
    ):
        op.drop_table(table)

"""Evaluators, their online attachments and the durable queue of evaluation jobs.

Revision ID: m0012
Revises: m0011
"""

import sqlalchemy as sa
from alembic import op

revision = "m0012"
down_revision = "m0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scoring_type", sa.String(32), nullable=False),
        sa.Column("llm_template", sa.Text(), nullable=True),
        sa.Column("code_template", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "online_evaluators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), nullable=False, index=True),
        sa.Column(
            "evaluator_id",
            sa.String(36),
            sa.ForeignKey("evaluators.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evaluation_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "online_evaluator_id",
            sa.String(36),
            sa.ForeignKey("online_evaluators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("online_evaluator_id", "request_id", name="uq_evaluation_jobs_request"),
    )
    op.create_index("ix_evaluation_jobs_due", "evaluation_jobs", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_jobs_due", "evaluation_jobs")
    op.drop_table("evaluation_jobs")
    op.drop_table("online_evaluators")
    op.drop_table("evaluators")

"""Prompts (Helicone's Prompt-2025): prompts, tags, versions, environments, bodies, inputs.

Revision ID: m0008
Revises: m0007
"""

import sqlalchemy as sa
from alembic import op

revision = "m0008"
down_revision = "m0007"
branch_labels = None
depends_on = None


def _organization() -> sa.Column[str]:
    return sa.Column("organization_id", sa.String(36), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "prompts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "prompt_tags",
        sa.Column(
            "prompt_id",
            sa.String(16),
            sa.ForeignKey("prompts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.String(100), primary_key=True),
        _organization(),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column(
            "prompt_id",
            sa.String(16),
            sa.ForeignKey("prompts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("major_version", sa.Integer(), nullable=False),
        sa.Column("minor_version", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("commit_message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "prompt_id", "major_version", "minor_version", name="uq_prompt_versions_number"
        ),
    )
    op.create_table(
        "prompt_environments",
        sa.Column(
            "prompt_id",
            sa.String(16),
            sa.ForeignKey("prompts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        _organization(),
        sa.Column(
            "version_id",
            sa.String(36),
            sa.ForeignKey("prompt_versions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "prompt_bodies",
        sa.Column("version_id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_table(
        "prompt_inputs",
        sa.Column("organization_id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column(
            "version_id",
            sa.String(36),
            sa.ForeignKey("prompt_versions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("environment", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "prompt_inputs",
        "prompt_bodies",
        "prompt_environments",
        "prompt_versions",
        "prompt_tags",
        "prompts",
    ):
        op.drop_table(table)

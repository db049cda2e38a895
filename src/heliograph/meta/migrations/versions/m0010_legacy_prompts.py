"""Helicone's legacy prompts (`Helicone-Prompt-Id`): prompts, versions made from logged
templates, and the inputs each logged call filled a version with.

Revision ID: m0010
Revises: m0009
"""

import sqlalchemy as sa
from alembic import op

revision = "m0010"
down_revision = "m0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legacy_prompts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_defined_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "organization_id", "user_defined_id", name="uq_legacy_prompts_user_defined_id"
        ),
    )
    op.create_table(
        "legacy_prompt_versions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), nullable=False, index=True),
        sa.Column(
            "prompt_id",
            sa.String(36),
            sa.ForeignKey("legacy_prompts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("major_version", sa.Integer(), nullable=False),
        sa.Column("minor_version", sa.Integer(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("template_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "prompt_id", "major_version", "minor_version", name="uq_legacy_prompt_versions_number"
        ),
    )
    op.create_table(
        "legacy_prompt_inputs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column(
            "version_id",
            sa.String(36),
            sa.ForeignKey("legacy_prompt_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("auto_inputs", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "organization_id", "request_id", name="uq_legacy_prompt_inputs_request"
        ),
        sa.Index("ix_legacy_prompt_inputs_version", "version_id", "created_at"),
    )


def downgrade() -> None:
    for table in ("legacy_prompt_inputs", "legacy_prompt_versions", "legacy_prompts"):
        op.drop_table(table)

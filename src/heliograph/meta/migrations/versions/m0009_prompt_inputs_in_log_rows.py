"""Prompt inputs move to the log rows (ClickHouse `prompt_inputs`): their table goes.

Revision ID: m0009
Revises: m0008
"""

import sqlalchemy as sa
from alembic import op

revision = "m0009"
down_revision = "m0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("prompt_inputs")


def downgrade() -> None:
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

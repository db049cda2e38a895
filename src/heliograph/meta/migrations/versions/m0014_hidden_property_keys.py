"""Custom property keys an organization hid from its property list (m0014).

Revision ID: m0014
Revises: m0013
"""

import sqlalchemy as sa
from alembic import op

revision = "m0014"
down_revision = "m0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hidden_property_keys",
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key_digest", sa.String(64), primary_key=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hidden_property_keys")

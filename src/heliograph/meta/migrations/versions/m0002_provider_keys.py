"""Per-organization provider keys, encrypted at rest.

Revision ID: m0002
Revises: m0001
"""

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("encrypted_key", sa.String(4096), nullable=False),
        sa.Column("key_preview", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_provider_keys_organization_id", "provider_keys", ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_provider_keys_organization_id", "provider_keys")
    op.drop_table("provider_keys")

"""API keys' permissions (Helicone's `key_permissions`: r, w, rw), provider keys' active flag
and Helicone's proxy keys (m0015).

Revision ID: m0015
Revises: m0014
"""

import sqlalchemy as sa
from alembic import op

revision = "m0015"
down_revision = "m0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every key made before this could do everything: it stays read-write.
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("key_permissions", sa.String(2), nullable=False, server_default="rw")
        )
    with op.batch_alter_table("provider_keys") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    op.create_table(
        "proxy_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "provider_key_id",
            sa.String(36),
            sa.ForeignKey("provider_keys.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_preview", sa.String(48), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_proxy_keys_organization_id", "proxy_keys", ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_proxy_keys_organization_id", "proxy_keys")
    op.drop_table("proxy_keys")
    with op.batch_alter_table("provider_keys") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("key_permissions")

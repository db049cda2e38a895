"""API keys' permissions (Helicone's `key_permissions`: r, w, rw) and provider keys' active flag
(m0015).

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


def downgrade() -> None:
    with op.batch_alter_table("provider_keys") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("key_permissions")

"""Webhooks, their deliveries (a durable queue) and delivery log.

Revision ID: m0003
Revises: m0002
"""

from alembic import op  # noqa: F401

revision = "m0003"
down_revision = "m0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

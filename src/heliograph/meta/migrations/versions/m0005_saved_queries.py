"""Saved HQL queries.

Revision ID: m0005
Revises: m0004
"""

from alembic import op  # noqa: F401

revision = "m0005"
down_revision = "m0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

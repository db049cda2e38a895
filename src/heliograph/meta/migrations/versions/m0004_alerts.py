"""Alert rules and their history.

Revision ID: m0004
Revises: m0003
"""

from alembic import op  # noqa: F401

revision = "m0004"
down_revision = "m0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

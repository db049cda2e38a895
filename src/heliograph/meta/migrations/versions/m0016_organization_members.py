"""Organizations' members with a role each, and their saved filters (m0016).

Every user made before this belonged to one organization and could do everything there: the
earliest user of each organization becomes its owner, the others its admins.

Revision ID: m0016
Revises: m0015
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "m0016"
down_revision = "m0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    members = op.create_table(
        "organization_members",
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("org_role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_organization_members_user_id", "organization_members", ["user_id"])
    op.create_table(
        "organization_layouts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organization_id", "type"),
    )
    op.create_index(
        "ix_organization_layouts_organization_id", "organization_layouts", ["organization_id"]
    )
    _make_existing_users_members(members)


def _make_existing_users_members(members: sa.Table) -> None:
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("organization_id", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = op.get_bind().execute(
        sa.select(users.c.id, users.c.organization_id, users.c.created_at).order_by(
            users.c.created_at, users.c.id
        )
    )
    seen: defaultdict[str, int] = defaultdict(int)
    memberships = []
    for user_id, organization_id, created_at in rows:
        role = "owner" if seen[organization_id] == 0 else "admin"
        seen[organization_id] += 1
        memberships.append(
            {
                "organization_id": organization_id,
                "user_id": user_id,
                "org_role": role,
                "created_at": created_at,
            }
        )
    if memberships:
        op.bulk_insert(members, memberships)


def downgrade() -> None:
    op.drop_index("ix_organization_layouts_organization_id", "organization_layouts")
    op.drop_table("organization_layouts")
    op.drop_index("ix_organization_members_user_id", "organization_members")
    op.drop_table("organization_members")

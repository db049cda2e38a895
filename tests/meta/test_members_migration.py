"""m0016 makes the users that existed before roles members of their organization: the
earliest its owner, the others admins (they could do everything until then)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from heliograph.meta import db


def _upgrade(url: str, revision: str) -> None:
    engine = db.connect(url)
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_existing_users_become_owner_and_admins(database_url: str):
    _upgrade(database_url, "m0015")
    engine = db.connect(database_url)
    with engine.begin() as connection:
        for org in ("org-a", "org-b"):
            connection.execute(
                text("INSERT INTO organizations (id, name, created_at) VALUES (:id, :id, :at)"),
                {"id": org, "at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        for user, org, day in [("u1", "org-a", 2), ("u2", "org-a", 1), ("u3", "org-b", 3)]:
            connection.execute(
                text(
                    "INSERT INTO users (id, organization_id, email, password_hash, created_at)"
                    " VALUES (:id, :org, :email, 'x', :at)"
                ),
                {"id": user, "org": org, "email": f"{user}@e.com", "at": datetime(2026, 1, day)},
            )
    _upgrade(database_url, "m0016")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT user_id, organization_id, org_role FROM organization_members")
        ).all()
    engine.dispose()
    assert sorted(map(tuple, rows)) == [
        ("u1", "org-a", "admin"),
        ("u2", "org-a", "owner"),
        ("u3", "org-b", "owner"),
    ]

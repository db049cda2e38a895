"""Saved HQL queries: named SQL an organization keeps in the metadata database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.hql import errors
from heliograph.hql.errors import HqlError
from heliograph.meta.models import SavedQuery

MAX_NAME_LENGTH = 255
MAX_SQL_LENGTH = 100_000


@dataclass(frozen=True)
class SavedQueryInfo:
    id: str
    organization_id: str
    name: str
    sql: str
    created_at: datetime
    updated_at: datetime

    def shown(self) -> dict[str, Any]:
        """Helicone's `HqlSavedQuery`."""
        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "sql": self.sql,
            "created_at": _utc(self.created_at).isoformat(),
            "updated_at": _utc(self.updated_at).isoformat(),
        }


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _info(row: SavedQuery) -> SavedQueryInfo:
    return SavedQueryInfo(
        row.id, row.organization_id, row.name, row.sql, row.created_at, row.updated_at
    )


def validated(body: Any) -> tuple[str, str]:
    """The trimmed (name, sql) of a create or update body, as Helicone checks them."""
    if not isinstance(body, dict):
        raise HqlError(errors.MISSING_QUERY_NAME, 'Body must be {"name": "...", "sql": "..."}')
    name, sql = body.get("name"), body.get("sql")
    if not isinstance(name, str) or not name.strip():
        raise HqlError(errors.MISSING_QUERY_NAME, "Query name is required")
    if not isinstance(sql, str) or not sql.strip():
        raise HqlError(errors.MISSING_QUERY_SQL, "Query SQL is required")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise HqlError(
            errors.QUERY_NAME_TOO_LONG, f"Query name must be at most {MAX_NAME_LENGTH} characters"
        )
    if len(sql) > MAX_SQL_LENGTH:
        raise HqlError(
            errors.INVALID_SQL_CONSTRUCT, f"Query SQL must be at most {MAX_SQL_LENGTH} characters"
        )
    # PostgreSQL text cannot hold NUL; the sandbox would refuse such SQL anyway.
    if "\x00" in name:
        raise HqlError(errors.MISSING_QUERY_NAME, "Query name must not contain a NUL character")
    if "\x00" in sql:
        raise HqlError(errors.INVALID_SQL_CONSTRUCT, "The query contains a NUL byte")
    return name.strip(), sql.strip()


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class SavedQueryStore:
    """Every method is scoped by organization: another org's query is simply not found."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def list_queries(self, organization_id: str) -> list[SavedQueryInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(SavedQuery)
                .where(SavedQuery.organization_id == organization_id)
                .order_by(SavedQuery.created_at, SavedQuery.id)
            ).all()
            return [_info(row) for row in rows]

    def get(self, organization_id: str, query_id: str) -> SavedQueryInfo | None:
        canonical = _uuid(query_id)
        if canonical is None:
            return None
        with self._sessions() as session:
            row = session.scalars(
                select(SavedQuery).where(
                    SavedQuery.organization_id == organization_id, SavedQuery.id == canonical
                )
            ).first()
            return _info(row) if row else None

    def create(self, organization_id: str, name: str, sql: str) -> SavedQueryInfo:
        now = datetime.now(UTC)
        row = SavedQuery(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            name=name,
            sql=sql,
            created_at=now,
            updated_at=now,
        )
        with self._sessions.begin() as session:
            session.add(row)
        return _info(row)

    def update(
        self, organization_id: str, query_id: str, name: str, sql: str
    ) -> SavedQueryInfo | None:
        canonical = _uuid(query_id)
        if canonical is None:
            return None
        with self._sessions.begin() as session:
            row = session.scalars(
                select(SavedQuery).where(
                    SavedQuery.organization_id == organization_id, SavedQuery.id == canonical
                )
            ).first()
            if row is None:
                return None
            row.name, row.sql, row.updated_at = name, sql, datetime.now(UTC)
            session.flush()
            return _info(row)

    def delete(self, organization_id: str, query_ids: list[str]) -> int:
        """Delete the organization's queries among `query_ids`; how many were deleted."""
        canonical = [c for c in (_uuid(i) for i in query_ids) if c is not None]
        if not canonical:
            return 0
        with self._sessions.begin() as session:
            result = session.execute(
                delete(SavedQuery).where(
                    SavedQuery.organization_id == organization_id, SavedQuery.id.in_(canonical)
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

"""Custom property keys an organization hid from `/v1/property/query` (Helicone's hide and
restore). Keys match case-insensitively, as property keys do everywhere else."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import HiddenPropertyKey


def _digest(key: str) -> str:
    return hashlib.sha256(key.lower().encode()).hexdigest()


class HiddenPropertyStore:
    """Every method is scoped by organization."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def hide(self, organization_id: str, key: str) -> None:
        """Hide a key (again: the key is kept as last sent)."""
        digest = _digest(key)
        scoped = (
            HiddenPropertyKey.organization_id == organization_id,
            HiddenPropertyKey.key_digest == digest,
        )
        now = datetime.now(UTC)
        try:
            with self._sessions.begin() as session:
                row = session.scalars(select(HiddenPropertyKey).where(*scoped)).first()
                if row is None:
                    session.add(
                        HiddenPropertyKey(
                            organization_id=organization_id,
                            key_digest=digest,
                            key=key,
                            updated_at=now,
                        )
                    )
                else:
                    row.key, row.updated_at = key, now
        except IntegrityError:
            pass  # a concurrent call hid the same key first: it is hidden either way

    def restore(self, organization_id: str, key: str) -> None:
        """Show a key again; restoring a key that is not hidden changes nothing."""
        with self._sessions.begin() as session:
            session.execute(
                delete(HiddenPropertyKey).where(
                    HiddenPropertyKey.organization_id == organization_id,
                    HiddenPropertyKey.key_digest == _digest(key),
                )
            )

    def hidden(self, organization_id: str) -> list[str]:
        """The organization's hidden keys, in order."""
        with self._sessions() as session:
            keys = session.scalars(
                select(HiddenPropertyKey.key).where(
                    HiddenPropertyKey.organization_id == organization_id
                )
            ).all()
        return sorted(keys, key=lambda key: (key.lower(), key))

"""Signed-in dashboard sessions: a random cookie token (stored hashed) and a CSRF token."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import MetaUnavailable
from heliograph.meta.models import ApiKey, OrganizationMember, WebSession
from heliograph.meta.stale_cache import DATABASE_DOWN

SESSION_LIFETIME = timedelta(days=14)
COOKIE_NAME = "heliograph_session"


@dataclass(frozen=True, slots=True)
class SignedIn:
    organization_id: str
    user_id: str | None
    api_key_id: str | None
    csrf_token: str
    # A session signed in with a key may do what the key may (read each time, like the key).
    permissions: str = "rw"
    # A signed-in user's role in `organization_id` (read each time, like the key).
    role: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebSessionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(
        self, organization_id: str, *, user_id: str | None = None, api_key_id: str | None = None
    ) -> tuple[str, SignedIn]:
        """A new session; returns the cookie token (the only time it exists) and the session."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        record = WebSession(
            token_hash=_digest(token),
            organization_id=organization_id,
            user_id=user_id,
            api_key_id=api_key_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        with self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(record)
        return token, SignedIn(organization_id, user_id, api_key_id, record.csrf_token)

    def lookup(self, token: str, organization_id: str | None = None) -> SignedIn | None:
        """The session of a token; a signed-in user's session may work in another organization
        of theirs (`organization_id`, Helicone's `helicone-organization-id` header)."""
        with self._sessions() as session:
            record = session.scalars(
                select(WebSession).where(WebSession.token_hash == _digest(token))
            ).first()
            if record is None or _aware(record.expires_at) < datetime.now(UTC):
                return None
            if record.user_id is not None:
                return _as_member(session, record, organization_id or record.organization_id)
            permissions = "rw"
            if record.api_key_id is not None:  # signed in with a key: revoking it signs out
                key = session.get(ApiKey, record.api_key_id)
                if key is None or key.revoked_at is not None:
                    return None
                permissions = key.key_permissions
            return SignedIn(
                record.organization_id,
                record.user_id,
                record.api_key_id,
                record.csrf_token,
                permissions,
            )

    async def resolve(
        self, token: str | None, organization_id: str | None = None
    ) -> SignedIn | None:
        """The signed-in session of a cookie (read each time, so that signing out, revoking
        the key or losing one's membership ends it at once); MetaUnavailable (503) while the
        database is down."""
        if not token:
            return None
        try:
            return await asyncio.to_thread(self.lookup, token, organization_id)
        except DATABASE_DOWN as exc:
            raise MetaUnavailable() from exc

    def end(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def _as_member(session: Session, record: WebSession, organization_id: str) -> SignedIn | None:
    """A user's session in `organization_id`, with their role there; None when not a member
    (removed from it, or an organization of someone else's)."""
    member = session.get(OrganizationMember, (organization_id, record.user_id))
    if member is None:
        return None
    return SignedIn(organization_id, record.user_id, None, record.csrf_token, role=member.org_role)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

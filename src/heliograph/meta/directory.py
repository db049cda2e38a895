"""The operator's view of the metadata database, across organizations: list organizations,
keys and users, create an organization, revoke a key, disable a user (`heliograph` CLI).

The REST API sees one organization, its caller's; these functions see them all, so only
the command line (run by whoever can read the data dir or the database URL) uses them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.models import ApiKey, Organization, User, WebSession
from heliograph.meta.names import checked_name


@dataclass(frozen=True, slots=True)
class OrganizationRow:
    id: str
    name: str
    created_at: datetime
    live_keys: int
    users: int


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: str
    name: str
    preview: str
    organization_id: str
    organization_name: str
    created_at: datetime
    revoked_at: datetime | None
    key_hash: str  # to tell the server's configured key; never shown
    permissions: str = "rw"  # Helicone's key_permissions: r, w or rw


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    email: str
    organization_id: str
    organization_name: str
    created_at: datetime
    disabled_at: datetime | None


def list_organizations(sessions: sessionmaker[Session]) -> list[OrganizationRow]:
    """Every organization, oldest first, with its live keys and users counted."""
    live_keys = (
        select(func.count(ApiKey.id))
        .where(ApiKey.organization_id == Organization.id, ApiKey.revoked_at.is_(None))
        .scalar_subquery()
    )
    users = (
        select(func.count(User.id)).where(User.organization_id == Organization.id)
    ).scalar_subquery()
    query = select(Organization, live_keys, users).order_by(Organization.created_at)
    with sessions() as session:
        return [
            OrganizationRow(org.id, org.name, org.created_at, keys, people)
            for org, keys, people in session.execute(query).all()
        ]


def create_organization(sessions: sessionmaker[Session], name: str) -> str:
    """A new organization's id; an existing name is refused (keys and users name their
    organization, so two of one name would be ambiguous)."""
    name = checked_name("organization name", name)
    with sessions.begin() as session:
        if session.scalars(select(Organization.id).where(Organization.name == name)).first():
            raise InvalidRequestError(f"an organization named {name!r} already exists")
        org = Organization(id=str(uuid.uuid4()), name=name)
        session.add(org)
    return org.id


def _organization_id(session: Session, name: str | None) -> str | None:
    if name is None:
        return None
    found = session.scalars(select(Organization.id).where(Organization.name == name)).first()
    if found is None:
        raise NotFoundError(f"no organization named {name!r}")
    return found


def organization_id(sessions: sessionmaker[Session], name: str) -> str:
    """The id of the organization of this name (NotFoundError if there is none)."""
    with sessions() as session:
        found = _organization_id(session, name)
    assert found is not None
    return found


def list_keys(
    sessions: sessionmaker[Session], org_name: str | None = None, *, revoked: bool = False
) -> list[KeyRow]:
    """API keys (previews only), oldest first; revoked ones too when `revoked`."""
    query = select(ApiKey, Organization.name).join(
        Organization, Organization.id == ApiKey.organization_id
    )
    with sessions() as session:
        org_id = _organization_id(session, org_name)
        if org_id is not None:
            query = query.where(ApiKey.organization_id == org_id)
        if not revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        rows = session.execute(query.order_by(ApiKey.created_at)).all()
        return [
            KeyRow(
                key.id,
                key.name,
                key.key_preview,
                key.organization_id,
                org,
                key.created_at,
                key.revoked_at,
                key.key_hash,
                key.key_permissions,
            )
            for key, org in rows
        ]


def find_key(sessions: sessionmaker[Session], id_or_preview: str) -> KeyRow:
    """The live key with this id or preview (as `keys list` shows it)."""
    matches = [row for row in list_keys(sessions) if id_or_preview in (row.id, row.preview)]
    if not matches:
        raise NotFoundError(f"no live API key {id_or_preview!r}")
    if len(matches) > 1:
        raise InvalidRequestError(f"{id_or_preview!r} names several keys; give the key's id")
    return matches[0]


def list_users(sessions: sessionmaker[Session], org_name: str | None = None) -> list[UserRow]:
    """Dashboard users, oldest first, disabled ones included."""
    query = select(User, Organization.name).join(
        Organization, Organization.id == User.organization_id
    )
    with sessions() as session:
        org_id = _organization_id(session, org_name)
        if org_id is not None:
            query = query.where(User.organization_id == org_id)
        rows = session.execute(query.order_by(User.created_at)).all()
        return [
            UserRow(u.id, u.email, u.organization_id, org, u.created_at, u.disabled_at)
            for u, org in rows
        ]


def disable_user(sessions: sessionmaker[Session], email: str) -> UserRow:
    """Stop a user signing in and end their dashboard sessions at once."""
    with sessions.begin() as session:
        user = session.scalars(
            select(User).where(func.lower(User.email) == email.strip().lower())
        ).first()
        if user is None:
            raise NotFoundError(f"no user with e-mail {email!r}")
        if user.disabled_at is None:
            user.disabled_at = datetime.now(UTC)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        org = session.get(Organization, user.organization_id)
        return UserRow(
            user.id,
            user.email,
            user.organization_id,
            org.name if org else "",
            user.created_at,
            user.disabled_at,
        )

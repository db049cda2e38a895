"""Organizations' members: who belongs to which organization, with which role.

A user may belong to several organizations; a signed-in session works in one at a time. Each
organization has exactly one owner: the role moves only by transferring it (the old owner
becomes an admin), and the owner cannot be removed.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.models import OrganizationMember, User
from heliograph.meta.roles import ASSIGNABLE_ROLES, OWNER
from heliograph.meta.users import normalise_email

MAX_MEMBERS = 1000  # an organization's members listed at most
MEMBER_NOT_FOUND = "Member not found in this organization"


class MemberStore:
    def __init__(self, sessions: sessionmaker[Session], hash_password: Callable[[str], str]):
        self._sessions = sessions
        self._hash_password = hash_password

    def role_of(self, organization_id: str, user_id: str) -> str | None:
        with self._sessions() as session:
            member = session.get(OrganizationMember, (organization_id, user_id))
            return None if member is None else member.org_role

    def members(self, organization_id: str) -> list[dict[str, Any]]:
        """Helicone's OrganizationMember rows: member (the user's id), email, org_role."""
        with self._sessions() as session:
            rows = session.execute(
                select(OrganizationMember.user_id, User.email, OrganizationMember.org_role)
                .join(User, User.id == OrganizationMember.user_id)
                .where(OrganizationMember.organization_id == organization_id)
                .order_by(OrganizationMember.created_at, User.email)
                .limit(MAX_MEMBERS)
            ).all()
        return [{"member": uid, "email": email, "org_role": role} for uid, email, role in rows]

    def owner_email(self, organization_id: str) -> str | None:
        with self._sessions() as session:
            return session.scalars(
                select(User.email)
                .join(OrganizationMember, User.id == OrganizationMember.user_id)
                .where(
                    OrganizationMember.organization_id == organization_id,
                    OrganizationMember.org_role == OWNER,
                )
            ).first()

    def add(self, organization_id: str, email: str) -> str | None:
        """Make the user with this e-mail a member (role member), creating the user with a
        temporary password when unknown: returned then, and only then (stored hashed)."""
        email = normalise_email(email)
        with self._sessions.begin() as session:
            user = session.scalars(select(User).where(func.lower(User.email) == email)).first()
            temporary = None
            if user is None:
                temporary = secrets.token_urlsafe(12)
                user = User(
                    id=str(uuid.uuid4()),
                    organization_id=organization_id,
                    email=email,
                    password_hash=self._hash_password(temporary),
                )
                session.add(user)
                session.flush()
            elif session.get(OrganizationMember, (organization_id, user.id)) is not None:
                return None  # already a member: Helicone succeeds without a change
            session.add(
                OrganizationMember(
                    organization_id=organization_id, user_id=user.id, org_role="member"
                )
            )
            return temporary

    def update_role(self, organization_id: str, member_id: str, role: str) -> None:
        if role not in ASSIGNABLE_ROLES:
            raise InvalidRequestError(
                f"role must be one of {', '.join(ASSIGNABLE_ROLES)} "
                "(ownership moves with update_owner)"
            )
        with self._sessions.begin() as session:
            member = _member(session, organization_id, member_id)
            if member.org_role == OWNER:
                raise InvalidRequestError("The owner's role changes only by transferring ownership")
            member.org_role = role

    def transfer_owner(self, organization_id: str, member_id: str) -> None:
        """The member becomes the owner; the current owner becomes an admin (one transaction)."""
        with self._sessions.begin() as session:
            new_owner = _member(session, organization_id, member_id)
            for old in session.scalars(
                select(OrganizationMember).where(
                    OrganizationMember.organization_id == organization_id,
                    OrganizationMember.org_role == OWNER,
                )
            ):
                old.org_role = "admin"
            new_owner.org_role = OWNER

    def remove(self, organization_id: str, member_id: str) -> None:
        with self._sessions.begin() as session:
            member = _member(session, organization_id, member_id)
            if member.org_role == OWNER:
                raise InvalidRequestError(
                    "The owner cannot be removed: transfer ownership first (update_owner)"
                )
            session.delete(member)


def _member(session: Session, organization_id: str, member_id: str) -> OrganizationMember:
    try:
        uuid.UUID(member_id)
    except ValueError:
        raise InvalidRequestError("memberId must be a user's id (a UUID)") from None
    member = session.get(OrganizationMember, (organization_id, member_id))
    if member is None:
        raise NotFoundError(MEMBER_NOT_FOUND)
    return member

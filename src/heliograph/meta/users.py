"""Dashboard users: e-mail and an argon2id password hash, members of organizations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.meta.keys import KeyStore
from heliograph.meta.models import OrganizationMember, User

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    email: str
    organization_id: str


class UserStore:
    def __init__(self, sessions: sessionmaker[Session], keys: KeyStore) -> None:
        self._sessions = sessions
        self._keys = keys
        self._hasher = PasswordHasher()
        # Verified against when the e-mail is unknown, so both cases take the same time.
        self._decoy_hash = self._hasher.hash(uuid.uuid4().hex)

    def create(
        self, email: str, password: str, org_name: str | None = None, *, create_org: bool = False
    ) -> Account:
        """A user of organization `org_name` (the default one when None), which must exist
        unless `create_org` is true."""
        email = normalise_email(email)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidRequestError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        org = self._keys.organization(org_name, create=create_org)
        user = User(
            id=str(uuid.uuid4()),
            organization_id=org.id,
            email=email,
            password_hash=self._hasher.hash(password),
        )
        try:
            with self._sessions.begin() as session:
                session.add(user)
                session.flush()
                session.add(_membership(session, org.id, user.id))
        except IntegrityError:
            raise InvalidRequestError(f"a user with e-mail {email} already exists") from None
        return Account(user.id, email, org.id)

    def authenticate(self, email: str, password: str) -> Account | None:
        with self._sessions() as session:
            user = session.scalars(
                select(User).where(func.lower(User.email) == email.strip().lower())
            ).first()
        try:
            self._hasher.verify(user.password_hash if user else self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or user.disabled_at is not None:
            return None
        organization_id = self.first_organization(user.id, user.organization_id)
        return None if organization_id is None else Account(user.id, user.email, organization_id)

    def first_organization(self, user_id: str, preferred: str) -> str | None:
        """The organization a sign-in starts in: `preferred` (the one the user was made in)
        while a member of it, else the first one joined; None when a member of none."""
        with self._sessions() as session:
            return session.scalars(
                select(OrganizationMember.organization_id)
                .where(OrganizationMember.user_id == user_id)
                .order_by(
                    (OrganizationMember.organization_id != preferred),
                    OrganizationMember.created_at,
                )
            ).first()

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def get(self, user_id: str) -> Account | None:
        with self._sessions() as session:
            user = session.get(User, user_id)
            return None if user is None else Account(user.id, user.email, user.organization_id)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320:
        raise InvalidRequestError(f"not an e-mail address: {email!r}")
    return email


def _membership(session: Session, organization_id: str, user_id: str) -> OrganizationMember:
    """A user made by an operator: the organization's owner when it has none yet, else an
    admin (an operator's users could do everything before roles existed)."""
    has_owner = session.scalars(
        select(OrganizationMember.user_id).where(
            OrganizationMember.organization_id == organization_id,
            OrganizationMember.org_role == "owner",
        )
    ).first()
    role = "admin" if has_owner else "owner"
    return OrganizationMember(organization_id=organization_id, user_id=user_id, org_role=role)

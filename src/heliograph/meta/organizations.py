"""Organizations as their members see them (Helicone's organization API): the ones a user
belongs to, making and renaming one, deleting it, and its saved filters per screen."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.models import Organization, OrganizationLayout, OrganizationMember, User
from heliograph.meta.names import checked_name
from heliograph.meta.roles import OWNER

LAYOUT_TYPES = ("dashboard", "requests")
MAX_ORGANIZATIONS = 500  # listed for one user at most
ORG_NOT_FOUND = "Organization not found"


def organization_view(org: Organization, role: str | None = None) -> dict[str, Any]:
    """Helicone's organization row (the fields Heliograph has), with the caller's role."""
    view: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "created_at": org.created_at.isoformat(),
        "soft_delete": False,
    }
    if role is not None:
        view["role"] = role
    return view


class OrganizationStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def of_user(self, user_id: str) -> list[dict[str, Any]]:
        """The organizations a user belongs to, each with the user's role in it."""
        with self._sessions() as session:
            rows = session.execute(
                select(Organization, OrganizationMember.org_role)
                .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
                .where(OrganizationMember.user_id == user_id)
                .order_by(Organization.created_at, Organization.id)
                .limit(MAX_ORGANIZATIONS)
            ).all()
            return [organization_view(org, role) for org, role in rows]

    def get(self, organization_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            org = session.get(Organization, organization_id)
            if org is None:
                raise NotFoundError(ORG_NOT_FOUND)
            return organization_view(org)

    def create(self, owner_id: str, name: str) -> str:
        """A new organization owned by the user; its id."""
        org = Organization(id=str(uuid.uuid4()), name=checked_name("organization name", name))
        with self._sessions.begin() as session:
            session.add(org)
            session.flush()
            session.add(
                OrganizationMember(organization_id=org.id, user_id=owner_id, org_role=OWNER)
            )
        return org.id

    def rename(self, organization_id: str, name: str) -> None:
        with self._sessions.begin() as session:
            org = session.get(Organization, organization_id)
            if org is None:
                raise NotFoundError(ORG_NOT_FOUND)
            org.name = checked_name("organization name", name)

    def delete(self, organization_id: str) -> None:
        """Delete the organization and everything of it; refused while it is the one some user
        signs in to first (deleting it would delete those users)."""
        with self._sessions.begin() as session:
            homed = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.organization_id == organization_id)
            )
            if homed:
                raise InvalidRequestError(
                    f"{homed} user(s) were created in this organization and would be deleted "
                    "with it: it cannot be deleted"
                )
            org = session.get(Organization, organization_id)
            if org is None:
                raise NotFoundError(ORG_NOT_FOUND)
            session.delete(org)

    def layout(self, organization_id: str, filter_type: str) -> dict[str, Any] | None:
        """Helicone's OrganizationLayout of one screen, or None when none was saved."""
        _check_layout_type(filter_type)
        with self._sessions() as session:
            row = session.scalars(
                select(OrganizationLayout).where(
                    OrganizationLayout.organization_id == organization_id,
                    OrganizationLayout.type == filter_type,
                )
            ).first()
            if row is None:
                return None
            return {
                "id": row.id,
                "organization_id": row.organization_id,
                "type": row.type,
                "filters": row.filters,
                "created_at": row.created_at.isoformat(),
            }

    def save_filters(
        self, organization_id: str, filter_type: str, filters: list[Any], *, create: bool
    ) -> None:
        """create_filter (refused when the screen has saved filters) or update_filter."""
        _check_layout_type(filter_type)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(OrganizationLayout).where(
                    OrganizationLayout.organization_id == organization_id,
                    OrganizationLayout.type == filter_type,
                )
            ).first()
            if create and row is not None:
                raise InvalidRequestError(f"The {filter_type} filters exist: use update_filter")
            if not create and row is None:
                raise NotFoundError(f"No saved {filter_type} filters: use create_filter")
            if row is None:
                session.add(
                    OrganizationLayout(
                        id=str(uuid.uuid4()),
                        organization_id=organization_id,
                        type=filter_type,
                        filters=filters,
                    )
                )
            else:
                row.filters = filters


def _check_layout_type(filter_type: str) -> None:
    if filter_type not in LAYOUT_TYPES:
        raise InvalidRequestError(f"filterType must be one of {', '.join(LAYOUT_TYPES)}")

"""Models of Helicone's organization API (organizations, members, saved filters)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.meta.names import MAX_NAME_CHARS

MAX_SAVED_FILTERS = 100  # saved filters of one screen


class OrganizationRow(Answer):
    id: str
    name: str
    created_at: str
    soft_delete: bool
    role: str | None = Field(default=None, description="The caller's role (the listing only)")


class NewOrganization(BaseModel):
    """Helicone's NewOrganizationParams: Heliograph keeps the name (other fields ignored)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)


class OrganizationUpdate(NewOrganization):
    """Helicone's UpdateOrganizationParams: the name."""


class NewMember(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class AddedMember(Answer):
    temporaryPassword: str | None = Field(
        default=None, description="Only for a user made by this call: shown this once"
    )


class Member(Answer):
    """Helicone's OrganizationMember."""

    member: str = Field(description="The user's id")
    email: str
    org_role: Literal["owner", "admin", "member", "viewer"]


class MemberRoleUpdate(BaseModel):
    role: str = Field(min_length=1, max_length=16)
    memberId: str = Field(min_length=1, max_length=64)


class OwnerUpdate(BaseModel):
    memberId: str = Field(min_length=1, max_length=64)


class Owner(Answer):
    """Helicone's OrganizationOwner (Heliograph has no billing tier: always "free")."""

    email: str
    tier: str


class SavedFilters(BaseModel):
    filters: list[dict[str, Any]] = Field(max_length=MAX_SAVED_FILTERS)
    filterType: Literal["dashboard", "requests"]


class Layout(Answer):
    """Helicone's OrganizationLayout."""

    id: str
    organization_id: str
    type: str
    filters: list[dict[str, Any]]
    created_at: str

"""REST: Helicone's organization API (`/v1/organization`): the caller's organizations, their
members and roles, ownership, saved filters per screen.

Each route with an organization id in its path works only on the organization the call is
made in (the session's, or the one chosen by `Helicone-Organization-Id`): any other id is
"Organization not found", whether it exists or not. What a role may call is decided in
api/access.py, like every route's.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.organizations import (
    AddedMember,
    Layout,
    Member,
    MemberRoleUpdate,
    NewMember,
    NewOrganization,
    OrganizationRow,
    OrganizationUpdate,
    Owner,
    OwnerUpdate,
    SavedFilters,
)
from heliograph.api.services import services_of
from heliograph.errors import ForbiddenError, NotFoundError
from heliograph.meta.keys import Principal
from heliograph.meta.organizations import ORG_NOT_FOUND

router = APIRouter(prefix="/v1/organization", tags=["Organization"])
PATH_ORG = "/{organizationId}"


def _own(caller: Principal, organization_id: str) -> str:
    """The path's organization, when it is the one the call is made in."""
    if organization_id != caller.organization_id:
        raise NotFoundError(ORG_NOT_FOUND)
    return organization_id


def _user(caller: Principal) -> str:
    if caller.user_id is None:
        raise ForbiddenError("Organizations are managed by signed-in users, not with an API key")
    return caller.user_id


@router.get("", response_model=Envelope[list[OrganizationRow]])
async def list_organizations(request: Request, caller: Caller) -> dict[str, Any]:
    """The organizations the signed-in user belongs to, each with their role (a key: its own)."""
    services = services_of(request)
    if caller.user_id is None:
        org = await asyncio.to_thread(services.organizations.get, caller.organization_id)
        return ok([org])
    return ok(await asyncio.to_thread(services.organizations.of_user, caller.user_id))


@router.post("/create", response_model=Envelope[str], status_code=201)
async def create_organization(
    request: Request, caller: Caller, body: NewOrganization
) -> dict[str, Any]:
    """A new organization owned by the signed-in user; its id."""
    organizations = services_of(request).organizations
    return ok(await asyncio.to_thread(organizations.create, _user(caller), body.name))


@router.delete("/delete", response_model=Envelope[None], status_code=201)
async def delete_organization(request: Request, caller: Caller) -> dict[str, Any]:
    """Delete the organization the call is made in (its owner only)."""
    _user(caller)
    await asyncio.to_thread(services_of(request).organizations.delete, caller.organization_id)
    return ok(None)


@router.get(PATH_ORG, response_model=Envelope[OrganizationRow])
async def get_organization(organizationId: str, request: Request, caller: Caller) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    return ok(await asyncio.to_thread(services_of(request).organizations.get, org_id))


@router.post(PATH_ORG + "/update", response_model=Envelope[None], status_code=201)
async def update_organization(
    organizationId: str, request: Request, caller: Caller, body: OrganizationUpdate
) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    await asyncio.to_thread(services_of(request).organizations.rename, org_id, body.name)
    return ok(None)


@router.get(PATH_ORG + "/members", response_model=Envelope[list[Member]])
async def list_members(organizationId: str, request: Request, caller: Caller) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    return ok(await asyncio.to_thread(services_of(request).members.members, org_id))


@router.post(PATH_ORG + "/add_member", response_model=Envelope[AddedMember], status_code=201)
async def add_member(
    organizationId: str, request: Request, caller: Caller, body: NewMember
) -> dict[str, Any]:
    """Add a user by e-mail (role member); an unknown e-mail becomes a user with a temporary
    password, answered this once. Adding a member again changes nothing."""
    org_id = _own(caller, organizationId)
    members = services_of(request).members
    temporary = await request.app.state.password_pool.run(members.add, org_id, body.email)
    return ok({"temporaryPassword": temporary})


@router.post(PATH_ORG + "/update_member", response_model=Envelope[None], status_code=201)
async def update_member(
    organizationId: str, request: Request, caller: Caller, body: MemberRoleUpdate
) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    members = services_of(request).members
    await asyncio.to_thread(members.update_role, org_id, body.memberId, body.role)
    return ok(None)


@router.post(PATH_ORG + "/update_owner", response_model=Envelope[None], status_code=201)
async def update_owner(
    organizationId: str, request: Request, caller: Caller, body: OwnerUpdate
) -> dict[str, Any]:
    """Make a member the owner; the owner until now becomes an admin (the owner signed in:
    a key, even a read-write one, holds no ownership to hand on)."""
    _user(caller)
    org_id = _own(caller, organizationId)
    members = services_of(request).members
    await asyncio.to_thread(members.transfer_owner, org_id, body.memberId)
    return ok(None)


@router.delete(PATH_ORG + "/remove_member", response_model=Envelope[None])
async def remove_member(
    organizationId: str,
    request: Request,
    caller: Caller,
    memberId: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    await asyncio.to_thread(services_of(request).members.remove, org_id, memberId)
    return ok(None)


@router.get(PATH_ORG + "/owner", response_model=Envelope[list[Owner]])
async def get_owner(organizationId: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Helicone's owner listing: the owner's e-mail and the billing tier."""
    org_id = _own(caller, organizationId)
    email = await asyncio.to_thread(services_of(request).members.owner_email, org_id)
    return ok([] if email is None else [{"email": email, "tier": "free"}])


@router.post(PATH_ORG + "/create_filter", response_model=Envelope[None], status_code=201)
async def create_filter(
    organizationId: str, request: Request, caller: Caller, body: SavedFilters
) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    store = services_of(request).organizations
    await asyncio.to_thread(store.save_filters, org_id, body.filterType, body.filters, create=True)
    return ok(None)


@router.post(PATH_ORG + "/update_filter", response_model=Envelope[None], status_code=201)
async def update_filter(
    organizationId: str, request: Request, caller: Caller, body: SavedFilters
) -> dict[str, Any]:
    org_id = _own(caller, organizationId)
    store = services_of(request).organizations
    await asyncio.to_thread(store.save_filters, org_id, body.filterType, body.filters, create=False)
    return ok(None)


@router.get(PATH_ORG + "/layout", response_model=Envelope[Layout | None])
async def get_layout(
    organizationId: str,
    request: Request,
    caller: Caller,
    filterType: Annotated[str, Query(max_length=16)],
) -> dict[str, Any]:
    """The screen's saved filters (`filterType`: dashboard or requests), null when none."""
    org_id = _own(caller, organizationId)
    store = services_of(request).organizations
    return ok(await asyncio.to_thread(store.layout, org_id, filterType))

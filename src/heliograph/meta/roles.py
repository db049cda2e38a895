"""An organization member's roles, weakest first: each may do what the ones before it may."""

from __future__ import annotations

VIEWER, MEMBER, ADMIN, OWNER = "viewer", "member", "admin", "owner"
ROLES = (VIEWER, MEMBER, ADMIN, OWNER)
# What update_member may set: ownership moves only with update_owner (one owner at a time).
ASSIGNABLE_ROLES = (VIEWER, MEMBER, ADMIN)


def at_least(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may."""
    return ROLES.index(role) >= ROLES.index(needed)

"""What a REST call needs of its key (to read, to write, or both to manage keys), or of a
signed-in user's role in the organization (viewer, member, admin, owner: docs/organizations.md).

Helicone's rule (Jawn's auth middleware) is the method's: GET reads; POST, PUT, PATCH and
DELETE write. Heliograph keeps it, with two departures, both toward less power for a key:

- Helicone's query routes are POSTs that only read (`/v1/request/query`, the metrics,
  HQL's execute...). Here they need read permission: a read-only key can query, and a
  write-only key, the kind handed out to log with, cannot read through them. A POST reads
  when its route takes a read slot of the analytics store (`fair_reads.Reader`, marked with
  `reading_dependency`), or when its template says so (a `query...` segment, `.../count`...)
  for the reads of the metadata database.
- Changing keys (API keys, provider keys, the vault) needs a read-write key: a write-only
  key could otherwise make itself a read-write one.

A route's template (`/v1/session/{session_id:path}/tag`), not the path sent, is what is
matched, so a session id or property name cannot make a write look like a read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from heliograph.meta.keys import Principal
from heliograph.meta.roles import ADMIN, MEMBER, OWNER, VIEWER, at_least

READ, WRITE, READ_WRITE = "r", "w", "rw"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# A POST whose template has a segment starting with "query" (Helicone's queries), or ends in
# one of these, reads.
_QUERY_SEGMENT = re.compile(r"/query[^/]*(?:/|$)")
_READING_LAST_SEGMENTS = frozenset(
    {"count", "search", "estimate", "compile", "execute", "download"}
)
_KEY_PREFIXES = ("/v1/api-keys", "/v1/provider-keys", "/v1/vault/")
_READING_MARK = "_heliograph_reading_dependency"

# A signed-in member's role (meta/roles.py): a viewer reads; a member reads and writes; an
# admin also manages keys, the vault, webhooks and the members; the owner alone transfers
# ownership and deletes the organization. Any member may make an organization of their own.
_ADMIN_PREFIXES = (*_KEY_PREFIXES, "/v1/webhooks")
_ADMIN_ROUTES = frozenset(
    f"/v1/organization/{{organizationId}}/{action}"
    for action in ("update", "add_member", "update_member", "remove_member")
)
_OWNER_ROUTES = frozenset(
    {"/v1/organization/{organizationId}/update_owner", "/v1/organization/delete"}
)
_ANY_MEMBER_ROUTES = frozenset({"/v1/organization/create"})

Dependency = TypeVar("Dependency", bound=Callable[..., Any])


def reading_dependency(dependency: Dependency) -> Dependency:
    """Mark a dependency that only routes which only read take: a route taking it needs read
    permission whatever its method (fair_reads.fair_reader: a read slot of the store)."""
    setattr(dependency, _READING_MARK, True)
    return dependency


def takes_reading_dependency(route: Any) -> bool:
    """Whether a matched route (FastAPI's APIRoute) takes a dependency marked as reading."""
    dependant = getattr(route, "dependant", None)
    dependencies = getattr(dependant, "dependencies", ())
    return any(getattr(dep.call, _READING_MARK, False) for dep in dependencies)


def reads_only(method: str, route: str, reading_route: bool = False) -> bool:
    """Whether a call of `method` on the route template `route` only reads
    (`reading_route`: the route takes a reading dependency)."""
    if method in SAFE_METHODS:
        return True
    if method != "POST":
        return False
    last = route.rstrip("/").rsplit("/", 1)[-1]
    return (
        reading_route or _QUERY_SEGMENT.search(route) is not None or last in _READING_LAST_SEGMENTS
    )


def access_needed(method: str, route: str, reading_route: bool = False) -> str:
    """READ, WRITE or READ_WRITE: what a key must be allowed to call `method` on `route`."""
    if reads_only(method, route, reading_route):
        return READ
    return READ_WRITE if route.startswith(_KEY_PREFIXES) else WRITE


def role_needed(method: str, route: str, reading_route: bool = False) -> str:
    """The weakest role of a signed-in member that may call `method` on `route`."""
    if route in _ANY_MEMBER_ROUTES:
        return VIEWER
    if route in _OWNER_ROUTES:
        return OWNER
    if reads_only(method, route, reading_route):
        return VIEWER
    if route.startswith(_ADMIN_PREFIXES) or route in _ADMIN_ROUTES:
        return ADMIN
    return MEMBER


def refusal(caller: Principal, method: str, route: str, reading_route: bool = False) -> str | None:
    """Why `caller` may not make this call, or None when it may."""
    if caller.role is not None:
        wanted = role_needed(method, route, reading_route)
        if at_least(caller.role, wanted):
            return None
        return (
            f"Your role in this organization is {caller.role}: "
            f"{method} {route} needs the role {wanted} or above"
        )
    needed = access_needed(method, route, reading_route)
    if all(permission in caller.permissions for permission in needed):
        return None
    kind = {READ: "read-only", WRITE: "write-only"}.get(caller.permissions, caller.permissions)
    what = {READ: "read", WRITE: "write", READ_WRITE: "read-write"}[needed]
    return (
        f"This API key is {kind} (key_permissions {caller.permissions!r}): "
        f"{method} {route} needs a {what} key"
    )

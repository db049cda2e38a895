"""What a REST call needs of its key: to read, to write, or both (to manage keys).

Helicone's rule (Jawn's auth middleware) is the method's: GET reads; POST, PUT, PATCH and
DELETE write. Heliograph keeps it, with two departures, both toward less power for a key:

- Helicone's query routes are POSTs that only read (`/v1/request/query`, the metrics,
  HQL's execute...). Here they need read permission: a read-only key can query, and a
  write-only key, the kind handed out to log with, cannot read through them.
- Changing keys (API keys, provider keys, the vault) needs a read-write key: a write-only
  key could otherwise make itself a read-write one.

A route's template (`/v1/session/{session_id:path}/tag`), not the path sent, is what is
matched, so a session id or property name cannot make a write look like a read.
"""

from __future__ import annotations

import re

from heliograph.meta.keys import Principal

READ, WRITE, READ_WRITE = "r", "w", "rw"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# A POST reads when a segment of its template starts with "query" (Helicone's queries), when
# its last segment is one of these, when it is under one of these prefixes, or when it is one
# of the routes listed. (tests/api/test_key_permissions.py fails when a route that takes a
# fair read slot is not counted as a read here.)
_QUERY_SEGMENT = re.compile(r"/query[^/]*(?:/|$)")
_READING_LAST_SEGMENTS = frozenset(
    {"count", "search", "top-costs", "estimate", "compile", "execute", "download"}
)
_READING_PREFIXES = ("/v1/metrics/",)
_READING_ROUTES = frozenset({"/v1/request/{request_id}/assets/{asset_id}"})
_KEY_PREFIXES = ("/v1/api-keys", "/v1/provider-keys", "/v1/vault/")


def reads_only(method: str, route: str) -> bool:
    """Whether a call of `method` on the route template `route` only reads."""
    if method in SAFE_METHODS:
        return True
    if method != "POST":
        return False
    last = route.rstrip("/").rsplit("/", 1)[-1]
    return (
        _QUERY_SEGMENT.search(route) is not None
        or last in _READING_LAST_SEGMENTS
        or route.startswith(_READING_PREFIXES)
        or route in _READING_ROUTES
    )


def access_needed(method: str, route: str) -> str:
    """READ, WRITE or READ_WRITE: what a key must be allowed to call `method` on `route`."""
    if reads_only(method, route):
        return READ
    return READ_WRITE if route.startswith(_KEY_PREFIXES) else WRITE


def refusal(caller: Principal, method: str, route: str) -> str | None:
    """Why `caller` may not make this call, or None when it may."""
    needed = access_needed(method, route)
    if all(permission in caller.permissions for permission in needed):
        return None
    kind = {READ: "read-only", WRITE: "write-only"}.get(caller.permissions, caller.permissions)
    what = {READ: "read", WRITE: "write", READ_WRITE: "read-write"}[needed]
    return (
        f"This API key is {kind} (key_permissions {caller.permissions!r}): "
        f"{method} {route} needs a {what} key"
    )

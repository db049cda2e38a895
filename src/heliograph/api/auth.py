"""Authenticating REST API calls: a Heliograph key, or the dashboard's session cookie.

A key comes as `Authorization: Bearer <key>` (or `Helicone-Auth`), as Helicone's REST API
takes it. The dashboard instead holds an HTTP-only session cookie; because a browser sends
cookies on its own, every state-changing call made with the cookie must also carry the
session's CSRF token in `X-CSRF-Token`.

This is also the one place where a key's permissions (`r`, `w`, `rw`) and a signed-in user's
role (viewer, member, admin, owner) are enforced: the method and route template decide what a
call needs (api/access.py), never the route itself.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from heliograph.api.access import SAFE_METHODS, refusal, takes_reading_dependency
from heliograph.api.services import services_of
from heliograph.errors import AuthError, ForbiddenError, UnknownKeyError
from heliograph.helicone_headers import bearer_token
from heliograph.meta.keys import KeyStore, Principal
from heliograph.meta.web_sessions import COOKIE_NAME, WebSessionStore

MISSING_KEY = "Missing or invalid API key: send 'Authorization: Bearer <Heliograph API key>'"
# Declares the scheme in the OpenAPI document (and the /docs "Authorize" button); the header
# itself is read below, so that `Helicone-Auth` and the session cookie work as well.
api_key_scheme = HTTPBearer(
    auto_error=False, scheme_name="api_key", description="A Heliograph API key"
)
CSRF_HEADER = "x-csrf-token"
# Which of a signed-in user's organizations a call works in (Helicone's header; the
# session's own organization without it).
ORGANIZATION_HEADER = "helicone-organization-id"


def api_key(header: str | None) -> str | None:
    """`Bearer <key>`, or the bare key as Helicone's own examples sometimes send it."""
    token = bearer_token(header)
    if token is None and header and " " not in header.strip():
        token = header.strip()
    return token


async def require_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller, when its key (or session) may make this call: 401 without a valid key,
    403 when the key's permissions do not allow the call."""
    caller = await _authenticated(request)
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    refused = refusal(caller, request.method, template, takes_reading_dependency(route))
    if refused is not None:
        raise ForbiddenError(refused)
    return caller


async def _authenticated(request: Request) -> Principal:
    keys: KeyStore = services_of(request).keys
    token = api_key(request.headers.get("authorization")) or api_key(
        request.headers.get("helicone-auth")
    )
    if token is not None:
        principal = await keys.resolve(token)
        if principal is None:
            raise UnknownKeyError(MISSING_KEY)
        return principal
    web_sessions: WebSessionStore = services_of(request).web_sessions
    cookie = request.cookies.get(COOKIE_NAME)
    chosen = request.headers.get(ORGANIZATION_HEADER) or None
    signed_in = await web_sessions.resolve(cookie, chosen)
    if signed_in is None and chosen is not None and await web_sessions.resolve(cookie):
        raise ForbiddenError("You are not a member of this organization")
    if signed_in is None:
        raise AuthError(MISSING_KEY)
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, ""), signed_in.csrf_token
    ):
        raise ForbiddenError("Missing or wrong X-CSRF-Token for a signed-in session")
    return Principal(
        signed_in.organization_id,
        signed_in.api_key_id or "",
        signed_in.permissions,
        user_id=signed_in.user_id,
        role=signed_in.role,
    )


# The caller of a route: `caller: Caller` in a handler's signature authenticates the request.
Caller = Annotated[Principal, Depends(require_principal)]

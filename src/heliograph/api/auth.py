"""Authenticating REST API calls with a Heliograph key."""

from __future__ import annotations

from fastapi import Request

from heliograph.errors import AuthError
from heliograph.gateway.headers import bearer_token
from heliograph.meta.keys import KeyStore, Principal


async def require_principal(request: Request) -> Principal:
    """`Authorization: Bearer <key>`, as Helicone's REST API takes it (or `Helicone-Auth`)."""
    keys: KeyStore = request.app.state.services.keys
    token = bearer_token(request.headers.get("authorization")) or bearer_token(
        request.headers.get("helicone-auth")
    )
    principal = await keys.resolve(token)
    if principal is None:
        raise AuthError(
            "Missing or invalid API key: send 'Authorization: Bearer <Heliograph API key>'"
        )
    return principal

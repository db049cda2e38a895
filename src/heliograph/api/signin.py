"""Dashboard sign-in: with an e-mail and password or a Heliograph key; sign-out.

A session lives in an HTTP-only, SameSite=Lax cookie (Secure when served over HTTPS). The
CSRF token it needs for state-changing calls is handed to the page by `GET /v1/auth/session`;
a cross-site page can neither read it nor send the cookie with its own requests.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from heliograph.api.auth import CSRF_HEADER
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.signin import SignedInSession, SignInBody
from heliograph.api.services import services_of
from heliograph.api.signin_throttle import SignInThrottle
from heliograph.errors import AuthError, ForbiddenError, InvalidRequestError
from heliograph.meta.users import Account, UserStore
from heliograph.meta.web_sessions import COOKIE_NAME, SESSION_LIFETIME, SignedIn
from heliograph.workpool import BoundedPool

router = APIRouter(tags=["Dashboard sign-in"])
WRONG_CREDENTIALS = "Wrong e-mail or password"


def _session_view(signed_in: SignedIn, email: str | None) -> dict[str, Any]:
    return {
        "organizationId": signed_in.organization_id,
        "email": email,
        "signedInWith": "password" if signed_in.user_id else "api_key",
        "csrfToken": signed_in.csrf_token,
        "role": signed_in.role,
    }


def _set_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def client_address(request: Request) -> str:
    """The caller's address: the socket peer, or the trusted proxy's header when configured."""
    header = services_of(request).settings.signin_client_address_header
    forwarded = request.headers.get(header, "") if header else ""
    # A proxy appends the address it saw: the last entry is the one it vouches for.
    address = forwarded.rsplit(",", 1)[-1].strip()
    if not address and request.client is not None:
        address = request.client.host
    return address[:64] or "unknown"


async def _check_password(request: Request, email: str, password: str) -> Account:
    """The account, if not throttled and the password is right; hashing on its own pool."""
    throttle: SignInThrottle = request.app.state.signin_throttle
    hashing: BoundedPool = request.app.state.password_pool
    users: UserStore = services_of(request).users
    address = client_address(request)
    throttle.check(email, address)
    account = await hashing.run(users.authenticate, email, password)
    if account is None:
        throttle.failed(email, address)
        raise AuthError(WRONG_CREDENTIALS)
    throttle.succeeded(email, address)
    return account


@router.post(
    "/v1/auth/sign-in",
    response_model=Envelope[SignedInSession],
    openapi_extra={"requestBody": {"required": True}},
)
async def sign_in(
    request: Request, response: Response, body: Annotated[SignInBody, Body()] = None
) -> dict[str, Any]:
    """`{"email": ..., "password": ...}` or `{"apiKey": "sk-helicone-..."}`."""
    services = services_of(request)
    if not isinstance(body, dict):
        raise InvalidRequestError('Body must be {"email", "password"} or {"apiKey"}')
    email = None
    if isinstance(body.get("apiKey"), str):
        principal = await services.keys.resolve(body["apiKey"])
        if principal is None:
            raise AuthError("Invalid API key")
        token, signed_in = await asyncio.to_thread(
            services.web_sessions.create, principal.organization_id, api_key_id=principal.key_id
        )
    elif isinstance(body.get("email"), str) and isinstance(body.get("password"), str):
        account = await _check_password(request, body["email"], body["password"])
        email = account.email
        token, signed_in = await asyncio.to_thread(
            services.web_sessions.create, account.organization_id, user_id=account.user_id
        )
    else:
        raise InvalidRequestError('Body must be {"email", "password"} or {"apiKey"}')
    _set_cookie(request, response, token)
    return ok(_session_view(signed_in, email))


@router.get("/v1/auth/session", response_model=Envelope[SignedInSession])
async def current_session(request: Request, response: Response) -> dict[str, Any]:
    """Who is signed in, with the CSRF token; in demo mode, signs in to the default org."""
    services = services_of(request)
    signed_in = await services.web_sessions.resolve(request.cookies.get(COOKIE_NAME))
    if signed_in is None and services.settings.demo:
        org = await asyncio.to_thread(services.keys.organization)
        token, signed_in = await asyncio.to_thread(services.web_sessions.create, org.id)
        _set_cookie(request, response, token)
    if signed_in is None:
        raise AuthError("Not signed in")
    email = None
    if signed_in.user_id is not None:
        account = await asyncio.to_thread(services.users.get, signed_in.user_id)
        email = account.email if account else None
    return ok(_session_view(signed_in, email))


@router.post("/v1/auth/sign-out", response_model=Envelope[None])
async def sign_out(request: Request, response: Response) -> dict[str, Any]:
    services = services_of(request)
    token = request.cookies.get(COOKIE_NAME)
    signed_in = await services.web_sessions.resolve(token)
    if signed_in is not None and token is not None:
        if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), signed_in.csrf_token):
            raise ForbiddenError("Missing or wrong X-CSRF-Token for a signed-in session")
        await asyncio.to_thread(services.web_sessions.end, token)
    response.delete_cookie(COOKIE_NAME, path="/")
    return ok(None)

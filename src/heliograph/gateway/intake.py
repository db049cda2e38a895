"""What every logged gateway call does before it chooses an upstream: authenticate, read
the body and the Helicone headers' policies, and open the call's log record.

The first step of every proxied call (flow.py); async logs open their record with the same
`open_call` (pipeline/call_record.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from heliograph.asgi import Receive, Scope, read_body
from heliograph.errors import AuthError, ForbiddenError, HeliographError, InvalidRequestError
from heliograph.gateway.guard import CallGuard, CallPolicies
from heliograph.gateway.retry import RetryLimits, RetryPolicy, retry_policy
from heliograph.helicone_headers import (
    HeliconeHeaders,
    bearer_token,
    parse_headers,
    prompt_mode_error,
    property_warnings,
)
from heliograph.meta.keys import KeyStore, Principal
from heliograph.meta.proxy_keys import PROXY_KEY_PREFIX
from heliograph.pipeline.call_record import open_call
from heliograph.pipeline.rows import LoggedCall, new_request_id
from heliograph.providers.base import WireFormat

# The scope key under which an in-process caller (inprocess.py) hands over a principal it
# authenticated itself (the dashboard's session). A client cannot set scope keys: only
# headers, which never reach this one.
TRUSTED_PRINCIPAL = "heliograph.trusted_principal"


@dataclass(frozen=True, slots=True)
class PromptUse:
    """The saved prompt a call's body was assembled from: what its log row names."""

    prompt_id: str
    version_id: str
    inputs: dict[str, Any]


@dataclass(slots=True)
class Intake:
    """A call admitted: who sent it, what it asks for, and the answer headers so far."""

    started: float
    headers: HeliconeHeaders
    principal: Principal
    body: bytes
    policies: CallPolicies
    retry: RetryPolicy | None
    warnings: list[str]
    request_id: str  # the call's id in its log row (Helicone-Request-Id, or a new one)
    # Set by a step before the plan that read the body (prompt assembly): the body as JSON,
    # so that the plan does not parse it again, and the prompt it was assembled from.
    request: dict[str, Any] | None = None
    prompt: PromptUse | None = None

    def open_call(
        self,
        provider: str,
        target_url: str,
        wire: WireFormat,
        request_json: Any,
        model: str | None = None,
    ) -> LoggedCall:
        """The call's log record, before any upstream answers."""
        principal = self.principal
        call = open_call(
            self.headers,
            principal.organization_id,
            principal.key_id or None,  # a signed-in session (inprocess.py) has no key
            provider=provider,
            target_url=target_url,
            wire=wire,
            started_at=self.started,
            request_body=self.body,
            request_json=request_json,
            model=model,
            request_id=self.request_id,
        )
        if self.prompt is not None:
            call.prompt_id, call.prompt_version = self.prompt.prompt_id, self.prompt.version_id
            call.prompt_inputs = self.prompt.inputs
        return call

    def answer_headers(self, call: LoggedCall) -> list[tuple[bytes, bytes]]:
        """`Helicone-Id`, and `Helicone-Warning` when a property or policy warned."""
        extra = [(b"helicone-id", call.request_id.encode())]
        warnings = [*self.warnings, *self.policies.warnings]
        if warnings:
            extra.append((b"helicone-warning", "; ".join(warnings).encode()))
        return extra


async def _proxy_key_principal(
    keys: KeyStore, headers: HeliconeHeaders, principal: Principal | None
) -> Principal | None:
    """The principal of a passthrough call whose Authorization is a proxy key: the proxy
    key's (Helicone-Auth, when sent too, must be a valid key of the same organization)."""
    token = bearer_token(headers.forwarded("authorization"))
    if keys.proxy_keys is None or not token or not token.startswith(PROXY_KEY_PREFIX):
        return principal
    proxied = await keys.proxy_keys.resolve(token)
    if proxied is None:
        raise AuthError("Invalid proxy key (or its provider key is inactive or deleted)")
    if headers.auth is not None and principal is None:
        raise AuthError("Invalid Helicone-Auth key sent with a proxy key")
    if principal is not None and principal.organization_id != proxied.organization_id:
        raise ForbiddenError("Helicone-Auth and the proxy key belong to other organizations")
    return proxied


async def take_in(
    scope: Scope,
    receive: Receive,
    keys: KeyStore,
    limits: RetryLimits,
    *,
    key_in_authorization: bool,
    missing_key: str,
    methods: frozenset[str] | None = None,
) -> Intake:
    """Admit a call; raises a HeliographError to answer instead (ClientGone: no answer).

    The Heliograph key comes in Helicone-Auth, or, where `key_in_authorization` (the
    unified gateway: no provider key is sent), in Authorization; a passthrough call's
    Authorization is the provider's key and goes upstream untouched. An in-process call
    (inprocess.py) comes with its principal instead, under TRUSTED_PRINCIPAL.
    """
    started = time.time()
    if methods is not None and scope["method"] not in methods:
        raise HeliographError(f"Use {' or '.join(sorted(methods))} on this route", status=405)
    headers = parse_headers(scope)
    principal: Principal | None = scope.get(TRUSTED_PRINCIPAL)
    if principal is None:
        token = bearer_token(headers.auth)
        if token is None and key_in_authorization:
            token = bearer_token(headers.forwarded("authorization"))
        principal = await keys.resolve(token)
        if not key_in_authorization:
            principal = await _proxy_key_principal(keys, headers, principal)
    if principal is None:
        raise AuthError(missing_key)
    if not principal.can_write:
        # As Helicone's: only keys with write permission ("w", "rw") go through the gateway.
        raise ForbiddenError(
            "This Heliograph API key is read-only (key_permissions 'r'): "
            "gateway calls need a key with write permission"
        )
    if headers.prompt_mode is not None and (refused := prompt_mode_error(headers)):
        raise InvalidRequestError(refused)
    body = await read_body(receive)
    warnings = property_warnings(headers.properties) if headers.properties else []
    retry = retry_policy(headers.other, limits)
    policies = CallGuard.read(headers.other, headers.forwarded("cache-control"))
    request_id = headers.request_id or new_request_id()
    return Intake(started, headers, principal, body, policies, retry, warnings, request_id)

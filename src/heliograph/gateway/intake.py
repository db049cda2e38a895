"""What every logged gateway call does before it chooses an upstream: authenticate, read
the body and the Helicone headers' policies, and open the call's log record.

The passthrough proxy and the unified gateway differ after this (how they choose and call
upstreams); a step that applies to every call (prompt assembly, moderation) goes here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from heliograph.asgi import Receive, Scope, read_body
from heliograph.errors import AuthError
from heliograph.gateway.guard import CallGuard, CallPolicies
from heliograph.gateway.retry import RetryLimits, RetryPolicy, retry_policy
from heliograph.helicone_headers import (
    HeliconeHeaders,
    bearer_token,
    parse_headers,
    property_warnings,
)
from heliograph.meta.keys import KeyStore, Principal
from heliograph.pipeline.rows import LoggedCall, new_request_id
from heliograph.providers.base import WireFormat


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

    def open_call(
        self, provider: str, target_url: str, wire: WireFormat, request_json: Any
    ) -> LoggedCall:
        """The call's log record, before any upstream answers."""
        headers = self.headers
        return LoggedCall(
            request_id=headers.request_id or new_request_id(),
            id_is_new=headers.request_id is None,
            organization_id=self.principal.organization_id,
            proxy_key_id=self.principal.key_id,
            provider=provider,
            target_url=target_url,
            wire=wire,
            started_at=self.started,
            request_body=self.body,
            request_json=request_json,
            user_id=headers.user_id,
            properties=headers.properties,
            model_override=headers.model_override,
            omit_request=headers.omit_request,
            omit_response=headers.omit_response,
        )

    def answer_headers(self, call: LoggedCall) -> list[tuple[bytes, bytes]]:
        """`Helicone-Id`, and `Helicone-Warning` when a property or policy warned."""
        extra = [(b"helicone-id", call.request_id.encode())]
        warnings = [*self.warnings, *self.policies.warnings]
        if warnings:
            extra.append((b"helicone-warning", "; ".join(warnings).encode()))
        return extra


async def take_in(
    scope: Scope,
    receive: Receive,
    keys: KeyStore,
    limits: RetryLimits,
    *,
    key_in_authorization: bool,
    missing_key: str,
) -> Intake:
    """Admit a call; raises a HeliographError to answer instead (ClientGone: no answer).

    The Heliograph key comes in Helicone-Auth, or, where `key_in_authorization` (the
    unified gateway: no provider key is sent), in Authorization; a passthrough call's
    Authorization is the provider's key and goes upstream untouched.
    """
    started = time.time()
    headers = parse_headers(scope)
    token = bearer_token(headers.auth)
    if token is None and key_in_authorization:
        token = bearer_token(headers.forwarded("authorization"))
    principal = await keys.resolve(token)
    if principal is None:
        raise AuthError(missing_key)
    body = await read_body(receive)
    warnings = property_warnings(headers.properties) if headers.properties else []
    retry = retry_policy(headers.other, limits)
    policies = CallGuard.read(headers.other, headers.forwarded("cache-control"))
    return Intake(started, headers, principal, body, policies, retry, warnings)

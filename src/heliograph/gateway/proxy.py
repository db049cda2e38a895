"""The passthrough proxy: a raw-ASGI hot path that forwards a call unchanged and logs it.

Bodies are relayed with ASGI `send` directly (Starlette's response classes cost ~17%, and
~43% on streams); streams go out chunk by chunk as they arrive. The call's log row is
written to the spool before the response's final bytes go out, so a client that got a
whole response always has its row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

from heliograph.asgi import (
    ClientGone,
    Receive,
    Scope,
    Send,
    json_or_none,
    read_body,
    send_error,
)
from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import (
    AuthError,
    ForbiddenError,
    HeliographError,
    InvalidRequestError,
    UpstreamError,
    UpstreamTimeout,
    envelope,
    openai_error,
)
from heliograph.gateway.fallbacks import Fallback, parse_fallbacks, with_headers
from heliograph.gateway.guard import CallGuard
from heliograph.gateway.ratelimit import RateLimited
from heliograph.gateway.response_headers import response_headers
from heliograph.gateway.retry import (
    RETRYABLE_STATUSES,
    RetryBudget,
    RetryLimits,
    RetryPolicy,
    retry_policy,
)
from heliograph.gateway.routes import ProxyRoute, upstream_target
from heliograph.gateway.streaming import relay_stream
from heliograph.helicone_headers import (
    HeliconeHeaders,
    bearer_token,
    force_stream_format,
    parse_headers,
    property_warnings,
)
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.meta.keys import KeyStore
from heliograph.outbound.policy import OutboundRefused
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall, new_request_id
from heliograph.providers.openai import (
    needs_usage_injection,
    usage_chunk_filter,
    with_usage_requested,
)
from heliograph.providers.registry import OPENAI_FORMAT, model_in_path, wire_format
from heliograph.providers.sse import whole_events
from heliograph.redact import redact_url
from heliograph.store.log_row import LogRow

log = logging.getLogger("heliograph.proxy")


class PassthroughProxy:
    def __init__(
        self,
        keys: KeyStore,
        upstream: ConnectionPool,
        calls: CallLog,
        catalog: PriceCatalog,
        guard: CallGuard,
        limits: RetryLimits,
    ) -> None:
        self._limits = limits
        self._guard = guard
        self._keys = keys
        self._upstream = upstream
        self._calls = calls
        self._catalog = catalog

    async def __call__(self, route: ProxyRoute, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.time()
        headers = parse_headers(scope)
        try:
            principal = await self._keys.resolve(bearer_token(headers.auth))
            if principal is None:
                raise AuthError(
                    "Missing or invalid Helicone-Auth header: "
                    "expected 'Bearer <Heliograph API key>'"
                )
            body = await read_body(receive)
            fallbacks = _fallbacks(route, headers)
            base_url = fallbacks[0].base_url
            warnings = property_warnings(headers.properties) if headers.properties else []
            policy = retry_policy(headers.other, self._limits)
            suffix = upstream_target(route, scope)
            policies = CallGuard.read(headers.other, _forwarded(headers.forward, "cache-control"))
        except ClientGone:
            return
        except HeliographError as error:
            await send_error(send, error)
            return

        target = base_url + suffix
        provider = route.provider or self._catalog.provider_for_url(base_url) or "CUSTOM"
        wire = wire_format(provider, route.upstream_path)
        request_json = json_or_none(body)
        strip_usage = wire is OPENAI_FORMAT and needs_usage_injection(
            route.upstream_path, request_json
        )

        call = LoggedCall(
            request_id=headers.request_id or new_request_id(),
            id_is_new=headers.request_id is None,
            organization_id=principal.organization_id,
            proxy_key_id=principal.key_id,
            provider=provider,
            target_url=target,
            wire=wire,
            started_at=started,
            request_body=body,
            request_json=request_json,
            user_id=headers.user_id,
            properties=headers.properties,
            # Gemini and Bedrock name the model in the path, not in the body.
            model_override=headers.model_override or model_in_path(route.upstream_path),
            omit_request=headers.omit_request,
            omit_response=headers.omit_response,
        )
        id_header = (b"helicone-id", call.request_id.encode())
        extra_headers = [id_header]
        warnings = [*warnings, *policies.warnings]
        if warnings:
            extra_headers.append((b"helicone-warning", "; ".join(warnings).encode()))

        async def refuse(error: HeliographError) -> None:
            await self._fail(call, send, error, extra_headers)

        key_parts = (scope["method"], target, body, request_json)
        if not await self._guard.before(policies, call, key_parts, extra_headers, send, refuse):
            return
        budget = RetryBudget(self._limits.max_retries)
        try:
            for index, fallback in enumerate(fallbacks):
                target = call.target_url = fallback.base_url + suffix
                if index:
                    call.provider = self._catalog.provider_for_url(fallback.base_url) or "CUSTOM"
                    overridden = fallback.body_override.get("model")
                    if isinstance(overridden, str) and not headers.model_override:
                        call.model_override = overridden  # what ran, so the cost is right
                upstream_body = _upstream_body(body, request_json, fallback, strip_usage)
                forward = with_headers(headers.forward, fallback.headers)
                last = index == len(fallbacks) - 1
                try:
                    response = await self._request(
                        scope["method"], target, forward, upstream_body, policy, budget
                    )
                except (TimeoutError, UpstreamConnectionError):
                    if last:
                        raise
                    continue
                if last or not fallback.hands_over(response.status):
                    break
                response.release()
            if len(fallbacks) > 1:
                extra_headers.append((b"helicone-fallback-index", str(index).encode()))
        except OutboundRefused as exc:  # before any connection: one answer for every target
            await self._fail(call, send, ForbiddenError(str(exc)), [id_header])
            return
        except TimeoutError:
            await self._fail(
                call,
                send,
                UpstreamTimeout(f"Upstream timed out: {redact_url(target)}"),
                [id_header],
            )
            return
        except (UpstreamConnectionError, ValueError) as exc:
            unreachable = UpstreamError(
                f"Could not reach upstream {redact_url(target)}: {type(exc).__name__}"
            )
            await self._fail(call, send, unreachable, [id_header])
            return
        content_type = response.content_type
        try:
            out_headers = response_headers(response, extra_headers)
            if content_type == "text/event-stream":
                sent, row = await self._relay_stream(
                    call,
                    response,
                    out_headers,
                    strip_usage,
                    force_stream_format(headers),
                    receive,
                    send,
                )
            else:
                sent, row = await self._relay_body(call, response, out_headers, id_header, send)
        finally:
            response.release()
        cost_nano = row.cost_nano if row is not None else 0
        await self._guard.after(policies, call, sent, content_type, cost_nano)

    async def _request(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        policy: RetryPolicy | None,
        budget: RetryBudget,
    ) -> UpstreamResponse:
        """Send the call, retrying per the Helicone-Retry-* headers on 429/5xx and timeouts
        while the request's retry budget lasts; the last attempt's outcome is returned."""
        upstream = self._upstream
        attempt = 0
        while True:
            attempt += 1
            if policy is None or attempt > policy.retries or budget.spent:
                return await upstream.request(method, url, headers, body)
            retry_after = None
            try:
                response = await upstream.request(method, url, headers, body)
            except (TimeoutError, UpstreamConnectionError):
                pass
            else:
                if response.status not in RETRYABLE_STATUSES:
                    return response
                retry_after = response.headers.get("retry-after")
                response.release()
            budget.spend()
            await asyncio.sleep(policy.delay_s(attempt, retry_after))

    async def _relay_body(
        self,
        call: LoggedCall,
        response: UpstreamResponse,
        out_headers: list[tuple[bytes, bytes]],
        id_header: tuple[bytes, bytes],
        send: Send,
    ) -> tuple[list[bytes], LogRow | None]:
        """Relay a whole answer; returns the bytes sent and the call's row."""
        try:
            data = await response.read()
        except TimeoutError:
            await self._fail(
                call, send, UpstreamTimeout("Upstream timed out mid-body"), [id_header]
            )
            return [], None
        except UpstreamConnectionError as exc:
            error = UpstreamError(f"Upstream response broke off: {type(exc).__name__}")
            await self._fail(call, send, error, [id_header])
            return [], None
        call.status = response.status
        call.response_body = data
        call.ended_at = time.time()
        row = self._calls.record(call)
        out_headers.append((b"content-length", str(len(data)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status, "headers": out_headers}
        )
        await send({"type": "http.response.body", "body": data})
        return [data], row

    async def _relay_stream(
        self,
        call: LoggedCall,
        response: UpstreamResponse,
        out_headers: list[tuple[bytes, bytes]],
        strip_usage: bool,
        whole: bool,
        receive: Receive,
        send: Send,
    ) -> tuple[list[bytes], LogRow | None]:
        """Relay a stream as it arrives; returns the chunks the client got and the call's row."""
        call.status = response.status
        await send(
            {"type": "http.response.start", "status": response.status, "headers": out_headers}
        )
        splitter = None
        if strip_usage:
            splitter = usage_chunk_filter()
        elif whole:
            splitter = whole_events()
        sent: list[bytes] = []
        row = await relay_stream(
            response, call, receive, send, self._calls.record, relay=splitter, sent=sent
        )
        return sent, row

    async def _fail(
        self,
        call: LoggedCall,
        send: Send,
        error: HeliographError,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        call.status = error.status
        call.error = error.message
        call.ended_at = time.time()
        self._calls.record(call)
        # A 429 is read by provider SDKs, which expect their `{"error": {...}}` shape.
        render = openai_error if isinstance(error, RateLimited) else envelope
        await send_error(send, error, headers, render=render)


def _forwarded(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key == name), None)


def _fallbacks(route: ProxyRoute, headers: HeliconeHeaders) -> list[Fallback]:
    """Upstreams to try in order: the route's own, then any Helicone-Fallbacks entries."""
    listed = headers.other.get("helicone-fallbacks")
    entries = parse_fallbacks(listed) if listed else []
    if route.base_url is None and entries and not headers.target_url:
        return entries  # the generic gateway: the fallbacks are the targets
    return [Fallback(_base_url(route, headers)), *entries]


def _upstream_body(body: bytes, request: Any, fallback: Fallback, usage: bool) -> bytes:
    if not isinstance(request, dict) or not (usage or fallback.body_override):
        return body
    merged = {**request, **fallback.body_override}
    return with_usage_requested(merged) if usage else orjson.dumps(merged)


def _base_url(route: ProxyRoute, headers: HeliconeHeaders) -> str:
    if route.base_url is not None:
        return route.base_url
    target = (headers.target_url or "").rstrip("/")
    if not target:
        raise InvalidRequestError("The /gateway route needs a Helicone-Target-Url header")
    try:
        destination(target)
    except OutboundUrlError as exc:
        raise InvalidRequestError(f"Helicone-Target-Url: {exc}") from None
    return target

"""The passthrough proxy: a raw-ASGI hot path that forwards a call unchanged and logs it.

Bodies are relayed with ASGI `send` directly (Starlette's response classes cost ~17%, and
~43% on streams); streams go out chunk by chunk as they arrive. The call's log row is
written to the spool before the response's final bytes go out, so a client that got a
whole response always has its row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any

import orjson

from heliograph.asgi import (
    ClientGone,
    Receive,
    Scope,
    Send,
    json_or_none,
    send_error,
)
from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import (
    ForbiddenError,
    HeliographError,
    InvalidRequestError,
    UpstreamError,
    UpstreamTimeout,
    envelope,
    openai_error,
)
from heliograph.gateway.attempts import attempt_with_retries
from heliograph.gateway.fallbacks import Fallback, parse_fallbacks, with_headers
from heliograph.gateway.guard import CallGuard
from heliograph.gateway.intake import Intake, take_in
from heliograph.gateway.ratelimit import RateLimited
from heliograph.gateway.response_headers import response_headers
from heliograph.gateway.retry import (
    RetryBudget,
    RetryLimits,
    RetryPolicy,
)
from heliograph.gateway.routes import ProxyRoute, upstream_target
from heliograph.gateway.streaming import relay_stream
from heliograph.helicone_headers import (
    HeliconeHeaders,
    force_stream_format,
)
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.meta.keys import KeyStore
from heliograph.outbound.policy import OutboundRefused
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall
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


MISSING_KEY = "Missing or invalid Helicone-Auth header: expected 'Bearer <Heliograph API key>'"


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
        try:
            intake = await take_in(
                scope,
                receive,
                self._keys,
                self._limits,
                key_in_authorization=False,
                missing_key=MISSING_KEY,
            )
            fallbacks = _fallbacks(route, intake.headers)
            suffix = upstream_target(route, scope)
        except ClientGone:
            return
        except HeliographError as error:
            await send_error(send, error)
            return
        call, strip_usage = self._open_call(route, intake, fallbacks[0].base_url, suffix)
        extra_headers = intake.answer_headers(call)

        async def refuse(error: HeliographError) -> None:
            await self._fail(call, send, error, extra_headers)

        key_parts = (scope["method"], call.target_url, intake.body, call.request_json)
        policies = intake.policies
        if not await self._guard.before(policies, call, key_parts, extra_headers, send, refuse):
            return
        chosen = await self._call_upstreams(
            scope["method"], intake, call, fallbacks, suffix, strip_usage, send
        )
        if chosen is None:
            return
        response, index = chosen
        if len(fallbacks) > 1:
            extra_headers.append((b"helicone-fallback-index", str(index).encode()))
        whole = force_stream_format(intake.headers)
        sent, row = await self._relay(
            call, response, extra_headers, strip_usage, whole, receive, send
        )
        cost_nano = row.cost_nano if row is not None else 0
        await self._guard.after(policies, call, sent, response.content_type, cost_nano)

    def _open_call(
        self, route: ProxyRoute, intake: Intake, base_url: str, suffix: str
    ) -> tuple[LoggedCall, bool]:
        """The call's log record, and whether a stream's usage chunk is added for the log
        (OpenAI streams report usage only when asked) and kept from the client."""
        provider = route.provider or self._catalog.provider_for_url(base_url) or "CUSTOM"
        wire = wire_format(provider, route.upstream_path)
        request_json = json_or_none(intake.body)
        call = intake.open_call(provider, base_url + suffix, wire, request_json)
        # Gemini and Bedrock name the model in the path, not in the body.
        call.model_override = call.model_override or model_in_path(route.upstream_path)
        strip_usage = wire is OPENAI_FORMAT and needs_usage_injection(
            route.upstream_path, request_json
        )
        return call, strip_usage

    async def _call_upstreams(
        self,
        method: str,
        intake: Intake,
        call: LoggedCall,
        fallbacks: list[Fallback],
        suffix: str,
        strip_usage: bool,
        send: Send,
    ) -> tuple[UpstreamResponse, int] | None:
        """The answer to relay and the fallback that gave it; None when a failure was
        answered instead (logged)."""
        id_header = (b"helicone-id", call.request_id.encode())
        budget = RetryBudget(self._limits.max_retries)
        target = call.target_url
        try:
            for index, fallback in enumerate(fallbacks):
                target = call.target_url = fallback.base_url + suffix
                if index:
                    call.provider = self._catalog.provider_for_url(fallback.base_url) or "CUSTOM"
                    overridden = fallback.body_override.get("model")
                    if isinstance(overridden, str) and not intake.headers.model_override:
                        call.model_override = overridden  # what ran, so the cost is right
                upstream_body = _upstream_body(
                    intake.body, call.request_json, fallback, strip_usage
                )
                forward = with_headers(intake.headers.forward, fallback.headers)
                last = index == len(fallbacks) - 1
                try:
                    response = await self._request(
                        method, target, forward, upstream_body, intake.retry, budget
                    )
                except (TimeoutError, UpstreamConnectionError):
                    if last:
                        raise
                    continue
                if last or not fallback.hands_over(response.status):
                    return response, index
                response.release()
        except OutboundRefused as exc:  # before any connection: one answer for every target
            await self._fail(call, send, ForbiddenError(str(exc)), [id_header])
        except TimeoutError:
            error = UpstreamTimeout(f"Upstream timed out: {redact_url(target)}")
            await self._fail(call, send, error, [id_header])
        except (UpstreamConnectionError, ValueError) as exc:
            unreachable = UpstreamError(
                f"Could not reach upstream {redact_url(target)}: {type(exc).__name__}"
            )
            await self._fail(call, send, unreachable, [id_header])
        return None

    async def _relay(
        self,
        call: LoggedCall,
        response: UpstreamResponse,
        extra_headers: list[tuple[bytes, bytes]],
        strip_usage: bool,
        whole: bool,
        receive: Receive,
        send: Send,
    ) -> tuple[list[bytes], LogRow | None]:
        """Relay the answer, a stream as it arrives; returns what was sent and the row."""
        id_header = extra_headers[0]
        try:
            out_headers = response_headers(response, extra_headers)
            if response.content_type == "text/event-stream":
                return await self._relay_stream(
                    call, response, out_headers, strip_usage, whole, receive, send
                )
            return await self._relay_body(call, response, out_headers, id_header, send)
        finally:
            response.release()

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

        def send_once() -> Awaitable[UpstreamResponse]:
            return self._upstream.request(method, url, headers, body)

        return await attempt_with_retries(send_once, policy, budget)

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

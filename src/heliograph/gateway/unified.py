"""The unified AI gateway: one OpenAI-compatible chat endpoint for every provider.

`POST /v1/chat/completions` (and `/chat/completions`) takes an OpenAI body whose `model`
may name a provider, a deployment or a fallback chain (see routing.py). Targets are tried
in order; a target that answers 429, 401, 400, 408 or 5xx, or cannot be reached, hands
over to the next one, never after the first streamed byte reached the client. Providers
that do not speak OpenAI's format go through their ChatAdapter both ways, so the client
and the log always see OpenAI-format bodies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.asgi import (
    ClientGone,
    Receive,
    Scope,
    Send,
    send_error,
    send_json,
)
from heliograph.errors import (
    AuthError,
    HeliographError,
    InvalidRequestError,
    UpstreamError,
    UpstreamTimeout,
    openai_error,
)
from heliograph.gateway.attempts import attempt_with_retries
from heliograph.gateway.guard import CallGuard
from heliograph.gateway.intake import Intake, take_in
from heliograph.gateway.retry import (
    DEFAULT_LIMITS,
    RETRYABLE_STATUSES,
    RetryBudget,
    RetryLimits,
    RetryPolicy,
)
from heliograph.gateway.routing import Router, Target
from heliograph.gateway.streaming import relay_stream
from heliograph.gateway.token_limits import apply_token_limit
from heliograph.helicone_headers import (
    force_stream_format,
)
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.meta.keys import KeyStore
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.chat import SignsRequests, StreamTranslator
from heliograph.providers.openai import (
    needs_usage_injection,
    usage_chunk_filter,
    with_usage_requested,
)
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.providers.sse import whole_events
from heliograph.redact import redact_url
from heliograph.store.log_row import LogRow

FAILOVER_STATUSES = frozenset({400, 401, 408, 429, *range(500, 600)})
# Retried at one target: a 409 is retried by the passthrough, but fails over here at once.
RETRIED_STATUSES = RETRYABLE_STATUSES & FAILOVER_STATUSES


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI endpoint the gateway serves, and the body field it cannot do without."""

    suffix: str  # replaces "/chat/completions" in a provider's chat path
    required: str
    adapted: bool  # whether non-OpenAI providers (through a ChatAdapter) can serve it


_ENDPOINTS = {
    "/chat/completions": Endpoint("/chat/completions", "messages", True),
    "/completions": Endpoint("/completions", "prompt", False),
    "/embeddings": Endpoint("/embeddings", "input", False),
    "/responses": Endpoint("/responses", "input", False),
}
# Served with and without /v1: clients differ on how they join a base URL and a path.
GATEWAY_PATHS = {
    prefix + path: endpoint for path, endpoint in _ENDPOINTS.items() for prefix in ("", "/v1")
}
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_JSON = [(b"content-type", b"application/json")]


@dataclass
class Attempt:
    target: Target
    status: int  # 0: no HTTP answer (connection error or timeout)
    body: bytes = b""
    detail: str = ""
    openai_shaped: bool = False  # body already in OpenAI's error shape

    def describe(self) -> str:
        where = f"{self.target.model}/{self.target.provider.name}"
        if self.status and self.detail:
            return f"{where}: {self.status} ({self.detail})"
        return f"{where}: {self.status or self.detail}"


MISSING_KEY = "Invalid API key: send 'Authorization: Bearer <Heliograph key>'"


class UnifiedGateway:
    def __init__(
        self,
        keys: KeyStore,
        provider_keys: ProviderKeyStore,
        router: Router,
        upstream: ConnectionPool,
        calls: CallLog,
        guard: CallGuard,
        limits: RetryLimits = DEFAULT_LIMITS,
    ) -> None:
        self._guard = guard
        self._limits = limits
        self._keys = keys
        self._provider_keys = provider_keys
        self._router = router
        self._upstream = upstream
        self._calls = calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["method"] != "POST":
                raise HeliographError("Use POST for chat completions", status=405)
            intake = await take_in(
                scope,
                receive,
                self._keys,
                self._limits,
                key_in_authorization=True,
                missing_key=MISSING_KEY,
            )
            endpoint = GATEWAY_PATHS[scope["path"]]
            request = self._request(intake, endpoint)
            own_keys = await self._provider_keys.keys_for(intake.principal.organization_id)
            targets = self._router.targets(request["model"], own_keys)
        except ClientGone:
            return
        except HeliographError as error:
            await send_error(send, error, render=openai_error)
            return
        call = intake.open_call(targets[0].provider.helicone_name, "", OPENAI_FORMAT, request)
        extra = intake.answer_headers(call)
        call.model_override = intake.headers.model_override or targets[0].model  # until answered

        async def refuse(error: HeliographError) -> None:
            await self._fail(call, error, extra, send)

        key_parts = ("POST", scope["path"], intake.body, request)
        if not await self._guard.before(intake.policies, call, key_parts, extra, send, refuse):
            return
        await self._call_targets(intake, call, targets, endpoint, extra, receive, send)

    @staticmethod
    def _request(intake: Intake, endpoint: Endpoint) -> dict[str, Any]:
        """The request body, checked, with a token-limit handler applied if one is asked."""
        request = _request_body(intake.body, endpoint)
        handler = intake.headers.other.get("helicone-token-limit-exception-handler")
        if handler:
            request = apply_token_limit(handler.strip().lower(), request)
        return request

    async def _call_targets(
        self,
        intake: Intake,
        call: LoggedCall,
        targets: list[Target],
        endpoint: Endpoint,
        extra: list[tuple[bytes, bytes]],
        receive: Receive,
        send: Send,
    ) -> None:
        """Each target in turn until one answers; relay that answer, or say all failed."""
        request: dict[str, Any] = call.request_json
        whole = force_stream_format(intake.headers)
        attempts: list[Attempt] = []
        budget = RetryBudget(self._limits.max_retries)
        for index, target in enumerate(targets):
            response = await self._try(target, endpoint, request, intake.retry, attempts, budget)
            if response is None:
                continue
            call.provider = target.provider.helicone_name
            call.model_override = intake.headers.model_override or target.model
            call.target_url = redact_url(str(response.url))
            out = [*extra, (b"helicone-fallback-index", str(index).encode())]
            try:
                if request.get("stream") is True and response.status < 300:
                    sent, row = await self._relay_stream(
                        call, target, endpoint, request, response, out, whole, receive, send
                    )
                else:
                    sent, row = await self._relay_body(call, target, response, out, send)
            finally:
                response.release()
            kind = "text/event-stream" if call.is_stream else "application/json"
            cost_nano = row.cost_nano if row is not None else 0
            await self._guard.after(intake.policies, call, sent, kind, cost_nano)
            return
        await self._all_failed(call, intake.headers.model_override, attempts, extra, send)

    async def _try(
        self,
        target: Target,
        endpoint: Endpoint,
        request: dict[str, Any],
        policy: RetryPolicy | None,
        attempts: list[Attempt],
        budget: RetryBudget,
    ) -> UpstreamResponse | None:
        """The target's answer when it is one to relay; None to go on to the next target.
        Each retry spends one of the request's retries (`budget`)."""
        try:
            url, headers, data = _upstream_call(target, endpoint, request)
        except InvalidRequestError as exc:  # this provider cannot express the request
            attempts.append(Attempt(target, 400, openai_error(exc), exc.message, True))
            return None
        adapter = target.provider.adapter
        # isinstance on a runtime-checkable Protocol is slow (~15 us): most targets have none.
        if adapter is not None and isinstance(adapter, SignsRequests):
            region = target.deployment or target.provider.region or ""
            try:
                headers = await asyncio.to_thread(adapter.sign, url, headers, data, region)
            except AuthError as exc:
                attempts.append(Attempt(target, 401, openai_error(exc), exc.message, True))
                return None

        async def retried(response: UpstreamResponse | None, detail: str) -> None:
            body = await response.read() if response is not None else b""
            attempts.append(Attempt(target, response.status if response else 0, body, detail))

        def send_once() -> Awaitable[UpstreamResponse]:
            return self._upstream.request("POST", url, headers.items(), data)

        try:
            response = await attempt_with_retries(
                send_once, policy, budget, retried, RETRIED_STATUSES
            )
        except TimeoutError:
            attempts.append(Attempt(target, 0, detail="timed out"))
            return None
        except (UpstreamConnectionError, ValueError) as exc:
            attempts.append(Attempt(target, 0, detail=f"unreachable ({type(exc).__name__})"))
            return None
        if response.status not in FAILOVER_STATUSES:
            return response  # success, or an error no other target would fix
        body = await response.read()
        response.release()
        attempts.append(Attempt(target, response.status, body))
        return None

    async def _relay_body(
        self,
        call: LoggedCall,
        target: Target,
        response: UpstreamResponse,
        out: list[tuple[bytes, bytes]],
        send: Send,
    ) -> tuple[list[bytes], LogRow | None]:
        """Relay a JSON answer (translated for adapters); returns the bytes sent and the
        call's row."""
        try:
            data = await response.read()
        except (TimeoutError, UpstreamConnectionError) as exc:
            error = UpstreamError(f"Upstream response broke off: {type(exc).__name__}")
            await self._fail(call, error, out, send)
            return [], None
        adapter = target.provider.adapter
        if adapter is not None:
            try:
                if response.status < 300:
                    data = adapter.chat_response(data, target.model)
                else:
                    data = adapter.error_response(response.status, data)
            except HeliographError as error:
                await self._fail(call, UpstreamError(error.message), out, send)
                return [], None
        call.status = response.status
        call.response_body = data
        call.ended_at = time.time()
        row = self._calls.record(call)
        await send_json(send, response.status, data, out)
        return [data], row

    async def _relay_stream(
        self,
        call: LoggedCall,
        target: Target,
        endpoint: Endpoint,
        request: dict[str, Any],
        response: UpstreamResponse,
        out: list[tuple[bytes, bytes]],
        whole: bool,
        receive: Receive,
        send: Send,
    ) -> tuple[list[bytes], LogRow | None]:
        """Relay a stream (translated for adapters); returns the chunks the client got and
        the call's row."""
        call.status = response.status
        include_usage = not needs_usage_injection(endpoint.suffix, request)
        adapter = target.provider.adapter
        # The log keeps the whole OpenAI-format stream, usage chunk included (upstream was
        # asked for it); the client gets that chunk only if it asked for it too.
        translate: StreamTranslator | None = (
            adapter.chat_stream(target.model, True) if adapter is not None else None
        )
        strip = None if include_usage else usage_chunk_filter()
        if strip is None and whole:
            strip = whole_events()
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS + out})
        sent: list[bytes] = []
        row = await relay_stream(
            response, call, receive, send, self._calls.record, translate, strip, sent
        )
        return sent, row

    async def _all_failed(
        self,
        call: LoggedCall,
        model_override: str | None,
        attempts: list[Attempt],
        extra: list[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        last = attempts[-1]
        call.provider = last.target.provider.helicone_name
        call.model_override = model_override or last.target.model
        targets = {a.target for a in attempts}
        if len(targets) == 1 and last.status:
            # One target only: its own error is the most useful answer, in OpenAI's shape.
            adapter = last.target.provider.adapter
            body = last.body
            if adapter is not None and not last.openai_shaped:
                body = adapter.error_response(last.status, last.body)
            call.status, call.response_body, call.ended_at = last.status, body, time.time()
            self._calls.record(call)
            await send_json(send, last.status, body, extra)
            return
        summary = "; ".join(a.describe() for a in attempts)
        timed_out = all(a.status == 0 and a.detail == "timed out" for a in attempts)
        kind = UpstreamTimeout if timed_out else UpstreamError
        await self._fail(call, kind(f"Every target failed: {summary}"), extra, send)

    async def _fail(
        self,
        call: LoggedCall,
        error: HeliographError,
        extra: list[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        call.status, call.error, call.ended_at = error.status, error.message, time.time()
        self._calls.record(call)
        await send_error(send, error, extra, render=openai_error)


def _request_body(body: bytes, endpoint: Endpoint) -> dict[str, Any]:
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("The request body is not valid JSON") from None
    if not isinstance(request, dict):
        raise InvalidRequestError("The request body must be a JSON object")
    if not isinstance(request.get("model"), str) or not request["model"].strip():
        raise InvalidRequestError("The request needs a 'model', e.g. \"gpt-4o-mini\"")
    if endpoint.required == "messages":
        if not isinstance(request.get("messages"), list) or not request["messages"]:
            raise InvalidRequestError("The request needs a non-empty 'messages' list")
    elif request.get(endpoint.required) in (None, "", []):
        raise InvalidRequestError(f"The request needs '{endpoint.required}'")
    return request


def _upstream_call(
    target: Target, endpoint: Endpoint, request: dict[str, Any]
) -> tuple[str, dict[str, str], bytes]:
    provider = target.provider
    stream = request.get("stream") is True
    adapter = provider.adapter
    if adapter is not None:
        if not endpoint.adapted:
            raise InvalidRequestError(
                f"Provider {provider.name} serves chat completions only, not {endpoint.suffix}"
            )
        call = adapter.chat_request(request, target.model, provider.api_key or "", stream)
        return provider.base_for(target.deployment) + call.path, call.headers, call.body
    body = {**request, "model": target.model}
    wants_usage = stream and needs_usage_injection(endpoint.suffix, body)
    data = with_usage_requested(body) if wants_usage else orjson.dumps(body)
    headers = {"content-type": "application/json", **provider.auth_headers()}
    return provider.url(endpoint.suffix, target.model, target.deployment), headers, data

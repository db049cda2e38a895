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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.asgi import Scope
from heliograph.errors import (
    HeliographError,
    InvalidRequestError,
    UpstreamError,
    UpstreamTimeout,
    openai_error,
)
from heliograph.gateway.attempts import attempt_with_retries
from heliograph.gateway.flow import Answer, Headers
from heliograph.gateway.intake import Intake
from heliograph.gateway.relay import client_filter
from heliograph.gateway.retry import DEFAULT_LIMITS, RETRYABLE_STATUSES, RetryBudget, RetryLimits
from heliograph.gateway.routing import Router, Target
from heliograph.gateway.steps import IntakeRules
from heliograph.gateway.token_limits import apply_token_limit
from heliograph.helicone_headers import (
    force_stream_format,
    read_timeout_floor,
    stream_usage_wanted,
)
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.chat import ChatAdapter, SignsRequests
from heliograph.providers.openai import needs_usage_injection, with_usage_requested
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.redact import redact_url

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
# No provider key is sent to the gateway: its bearer token may be the Heliograph key.
UNIFIED_INTAKE = IntakeRules(MISSING_KEY, key_in_authorization=True, methods=frozenset({"POST"}))


class Unified:
    """The unified gateway's choice of upstreams: the targets the request's model names."""

    def __init__(
        self,
        provider_keys: ProviderKeyStore,
        router: Router,
        upstream: ConnectionPool,
        limits: RetryLimits = DEFAULT_LIMITS,
    ) -> None:
        self._provider_keys = provider_keys
        self._router = router
        self.upstream = upstream
        self.limits = limits

    async def plan(self, scope: Scope, intake: Intake) -> UnifiedPlan:
        endpoint = GATEWAY_PATHS[scope["path"]]
        parsed = intake.request if intake.request is not None else _parsed(intake.body)
        request = _checked(parsed, endpoint)
        handler = intake.headers.other.get("helicone-token-limit-exception-handler")
        if handler:
            request = apply_token_limit(handler.strip().lower(), request)
        own_keys = await self._provider_keys.keys_for(intake.principal.organization_id)
        targets = self._router.targets(request["model"], own_keys)
        return UnifiedPlan(self, intake, endpoint, request, targets, scope["path"])

    @staticmethod
    def render(error: HeliographError) -> bytes:
        return openai_error(error)


class UnifiedPlan:
    """One gateway call: its targets in order, each tried until one answers."""

    def __init__(
        self,
        routes: Unified,
        intake: Intake,
        endpoint: Endpoint,
        request: dict[str, Any],
        targets: list[Target],
        path: str,
    ) -> None:
        self._routes = routes
        self._intake = intake
        self._endpoint = endpoint
        self._request = request
        self._targets = targets
        self.cache_parts = ("POST", path, intake.body, request)

    def open(self) -> LoggedCall:
        first = self._targets[0]
        name = first.provider.helicone_name
        return self._intake.open_call(name, "", OPENAI_FORMAT, self._request, first.model)

    async def reach(self, call: LoggedCall, headers: Headers) -> Answer:
        """Each target in turn until one answers; that answer, or the failure of all."""
        attempts: list[Attempt] = []
        budget = RetryBudget(self._routes.limits.max_retries)
        for index, target in enumerate(self._targets):
            response = await self._try(target, attempts, budget)
            if response is None:
                continue
            self._ran(call, target)
            call.target_url = redact_url(str(response.url))
            out = [*headers, (b"helicone-fallback-index", str(index).encode())]
            return self._answer(target, response, out)
        return self._all_failed(call, attempts, headers)

    def _ran(self, call: LoggedCall, target: Target) -> None:
        """Log the call under the target that answered it (its price, its provider)."""
        call.provider = target.provider.helicone_name
        overridden = self._intake.headers.model_override
        call.model_override = overridden or target.model
        call.price = None if overridden else target.price  # the registry's, if it chose it

    def _answer(self, target: Target, response: UpstreamResponse, out: Headers) -> Answer:
        adapter = target.provider.adapter
        if self._request.get("stream") is True and response.status < 300:
            # The log keeps the whole OpenAI-format stream, usage chunk included (upstream
            # was asked for it); the client gets that chunk only if it asked for it too.
            strip_usage = needs_usage_injection(
                self._endpoint.suffix, self._request
            ) and not stream_usage_wanted(self._intake.headers)
            whole_only = force_stream_format(self._intake.headers)
            return Answer(
                200,
                _SSE_HEADERS + out,
                "text/event-stream",
                response,
                stream=True,
                translate_stream=adapter.chat_stream(target.model, True) if adapter else None,
                client_filter=client_filter(strip_usage, whole_only),
            )
        translate = _body_translator(adapter, target.model) if adapter else None
        return Answer(
            response.status, _JSON + out, "application/json", response, translate_body=translate
        )

    async def _try(
        self, target: Target, attempts: list[Attempt], budget: RetryBudget
    ) -> UpstreamResponse | None:
        """The target's answer when it is one to relay; None to go on to the next target.
        Each retry spends one of the request's retries (`budget`)."""
        try:
            url, headers, data = await _upstream_call(target, self._endpoint, self._request)
        except HeliographError as exc:  # this provider cannot express or sign the request
            attempts.append(Attempt(target, exc.status, openai_error(exc), exc.message, True))
            return None

        async def retried(response: UpstreamResponse | None, detail: str) -> None:
            body = await response.read() if response is not None else b""
            attempts.append(Attempt(target, response.status if response else 0, body, detail))

        other = self._intake.headers.other
        read_timeout = read_timeout_floor(self._intake.headers) if other else None

        def send_once() -> Awaitable[UpstreamResponse]:
            return self._routes.upstream.request(
                "POST", url, headers.items(), data, min_read_timeout_s=read_timeout
            )

        policy = self._intake.retry
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

    def _all_failed(self, call: LoggedCall, attempts: list[Attempt], headers: Headers) -> Answer:
        """One target: its own error, in OpenAI's shape. More: a 502 (504) listing them."""
        last = attempts[-1]
        self._ran(call, last.target)
        if len({a.target for a in attempts}) == 1 and last.status:
            adapter = last.target.provider.adapter
            body = last.body
            if adapter is not None and not last.openai_shaped:
                body = adapter.error_response(last.status, last.body)
            return Answer(last.status, _JSON + headers, "application/json", body=body)
        summary = "; ".join(a.describe() for a in attempts)
        timed_out = all(a.status == 0 and a.detail == "timed out" for a in attempts)
        kind = UpstreamTimeout if timed_out else UpstreamError
        raise kind(f"Every target failed: {summary}")


def _body_translator(adapter: ChatAdapter, model: str) -> Callable[[int, bytes], bytes]:
    """An adapter's answer in OpenAI's shape; an answer it cannot read is a 502."""

    def translate(status: int, data: bytes) -> bytes:
        try:
            if status < 300:
                return adapter.chat_response(data, model)
            return adapter.error_response(status, data)
        except HeliographError as error:
            raise UpstreamError(error.message) from None

    return translate


def _parsed(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("The request body is not valid JSON") from None


def _checked(request: Any, endpoint: Endpoint) -> dict[str, Any]:
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


async def _upstream_call(
    target: Target, endpoint: Endpoint, request: dict[str, Any]
) -> tuple[str, dict[str, str], bytes]:
    """The target's URL, headers and body for the request, signed where the provider signs
    (on a thread: SigV4 hashes the body). Raises a HeliographError when it cannot be sent."""
    provider = target.provider
    stream = request.get("stream") is True
    adapter = provider.adapter
    if adapter is None:
        body = {**request, "model": target.model}
        wants_usage = stream and needs_usage_injection(endpoint.suffix, body)
        data = with_usage_requested(body) if wants_usage else orjson.dumps(body)
        headers = {"content-type": "application/json", **provider.auth_headers()}
        return provider.url(endpoint.suffix, target.model, target.deployment), headers, data
    if not endpoint.adapted:
        raise InvalidRequestError(
            f"Provider {provider.name} serves chat completions only, not {endpoint.suffix}"
        )
    call = adapter.chat_request(request, target.model, provider.api_key or "", stream)
    url = provider.base_for(target.deployment) + call.path
    # isinstance on a runtime-checkable Protocol is slow (~15 us): most targets have none.
    if isinstance(adapter, SignsRequests):
        region = target.deployment or target.provider.region or ""
        signed = await asyncio.to_thread(adapter.sign, url, call.headers, call.body, region)
        return url, signed, call.body
    return url, call.headers, call.body

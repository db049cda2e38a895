"""The passthrough proxy: forwards a call unchanged to its provider (or Helicone-Target-Url)
and logs it. Its route (flow.py) chooses the upstream: the route's own base URL, then any
Helicone-Fallbacks entries, each attempted with the Helicone-Retry-* policy.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson

from heliograph.asgi import Scope, json_or_none
from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import (
    ForbiddenError,
    HeliographError,
    InvalidRequestError,
    UpstreamError,
    UpstreamTimeout,
    openai_error,
)
from heliograph.gateway.attempts import attempt_with_retries
from heliograph.gateway.fallbacks import Fallback, parse_fallbacks, with_headers
from heliograph.gateway.flow import Answer, Headers
from heliograph.gateway.intake import Intake
from heliograph.gateway.proxy_keys import use_proxy_key
from heliograph.gateway.relay import client_filter
from heliograph.gateway.response_headers import response_headers
from heliograph.gateway.retry import RetryBudget, RetryLimits
from heliograph.gateway.routes import PROXY_ROUTE, ProxyRoute, upstream_target
from heliograph.gateway.steps import IntakeRules
from heliograph.helicone_headers import (
    HeliconeHeaders,
    force_stream_format,
    read_timeout_floor,
    stream_usage_wanted,
    target_provider,
)
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.outbound.policy import OutboundRefused
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.openai import needs_usage_injection, with_usage_requested
from heliograph.providers.registry import OPENAI_FORMAT, model_in_path, wire_format
from heliograph.redact import redact_url

MISSING_KEY = "Missing or invalid Helicone-Auth header: expected 'Bearer <Heliograph API key>'"
# The passthrough's Authorization is the provider's key, sent upstream untouched.
PASSTHROUGH_INTAKE = IntakeRules(MISSING_KEY)


class Passthrough:
    """The passthrough routes' choice of upstream: the route's own, then Helicone-Fallbacks."""

    def __init__(self, upstream: ConnectionPool, catalog: PriceCatalog, limits: RetryLimits):
        self._upstream = upstream
        self._catalog = catalog
        self._limits = limits

    async def plan(self, scope: Scope, intake: Intake) -> PassthroughPlan:
        route: ProxyRoute = scope[PROXY_ROUTE]
        fallbacks = _fallbacks(route, intake.headers)
        if intake.principal.upstream is not None:
            use_proxy_key(route, fallbacks, intake.headers, intake.principal.upstream)
        suffix = upstream_target(route, scope)
        return PassthroughPlan(self, route, intake, scope["method"], fallbacks, suffix)

    @staticmethod
    def render(error: HeliographError) -> bytes:
        # A passthrough call's client is a provider SDK: it reads `error.message` of the
        # `{"error": {...}}` object providers answer with (OpenAI's and Anthropic's alike).
        return openai_error(error)

    def known_provider(self, base_url: str) -> str | None:
        return self._catalog.provider_for_url(base_url)

    def provider_for(self, base_url: str, headers: HeliconeHeaders | None = None) -> str:
        """Helicone's name for the provider at `base_url`; for a URL it does not know, the
        call's Helicone-Target-Provider when it names one, else CUSTOM."""
        known = self._catalog.provider_for_url(base_url)
        if known:
            return known
        named = target_provider(headers) if headers is not None and headers.other else None
        return named or "CUSTOM"

    def send_once(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        min_read_timeout_s: float | None = None,
    ) -> Awaitable[UpstreamResponse]:
        return self._upstream.request(
            method, url, headers, body, min_read_timeout_s=min_read_timeout_s
        )

    def budget(self) -> RetryBudget:
        return RetryBudget(self._limits.max_retries)


class PassthroughPlan:
    """One passthrough call: its upstreams in order, tried until one answers."""

    def __init__(
        self,
        routes: Passthrough,
        route: ProxyRoute,
        intake: Intake,
        method: str,
        fallbacks: list[Fallback],
        suffix: str,
    ) -> None:
        self._routes = routes
        self._intake = intake
        self._method = method
        self._fallbacks = fallbacks
        self._suffix = suffix
        self._route = route
        self._request_json = json_or_none(intake.body)
        first = fallbacks[0].base_url
        if not route.provider:  # the generic gateway: Helicone-Target-Url or Helicone-Fallbacks
            self._provider = routes.provider_for(first, intake.headers)
        elif first != route.base_url:  # Helicone-OpenAI-Api-Base: Azure's, else still OpenAI
            self._provider = routes.known_provider(first) or route.provider
        else:
            self._provider = route.provider
        self._wire = wire_format(self._provider, route.upstream_path)
        # OpenAI streams report usage only when asked: asked for the log, kept from the client
        # unless it sent Helicone-Stream-Usage: true.
        self._ask_usage = self._wire is OPENAI_FORMAT and needs_usage_injection(
            route.upstream_path, self._request_json
        )
        self._strip_usage = self._ask_usage and not stream_usage_wanted(intake.headers)
        target = fallbacks[0].base_url + suffix
        self.cache_parts = (method, target, intake.body, self._request_json)

    def open(self) -> LoggedCall:
        target = self._fallbacks[0].base_url + self._suffix
        # Gemini and Bedrock name the model in the path, not in the body.
        model = model_in_path(self._route.upstream_path)
        return self._intake.open_call(self._provider, target, self._wire, self._request_json, model)

    async def reach(self, call: LoggedCall, headers: Headers) -> Answer:
        try:
            response, index = await self._first_answer(call)
        except OutboundRefused as exc:  # before any connection: one answer for every target
            raise ForbiddenError(str(exc)) from None
        except TimeoutError:
            raise UpstreamTimeout(f"Upstream timed out: {redact_url(call.target_url)}") from None
        except (UpstreamConnectionError, ValueError) as exc:
            raise UpstreamError(
                f"Could not reach upstream {redact_url(call.target_url)}: {type(exc).__name__}"
            ) from None
        if len(self._fallbacks) > 1:
            headers = [*headers, (b"helicone-fallback-index", str(index).encode())]
        stream = response.content_type == "text/event-stream"
        whole_only = force_stream_format(self._intake.headers)
        return Answer(
            response.status,
            response_headers(response, headers),
            response.content_type,
            response,
            stream=stream,
            client_filter=client_filter(self._strip_usage, whole_only) if stream else None,
        )

    async def _first_answer(self, call: LoggedCall) -> tuple[UpstreamResponse, int]:
        """The first fallback's answer that does not hand over to the next one, and its index;
        the last one's answer or failure when all do."""
        intake, fallbacks = self._intake, self._fallbacks
        budget = self._routes.budget()
        read_timeout = read_timeout_floor(intake.headers) if intake.headers.other else None
        for index, fallback in enumerate(fallbacks):
            url = call.target_url = fallback.base_url + self._suffix
            if index:
                call.provider = self._routes.provider_for(fallback.base_url, intake.headers)
                overridden = fallback.body_override.get("model")
                if isinstance(overridden, str) and not intake.headers.model_override:
                    call.model_override = overridden  # what ran, so the cost is right
            body = _upstream_body(intake.body, self._request_json, fallback, self._ask_usage)
            forward = with_headers(intake.headers.forward, fallback.headers)
            send_once = partial(
                self._routes.send_once, self._method, url, forward, body, read_timeout
            )

            last = index == len(fallbacks) - 1
            try:
                response = await attempt_with_retries(send_once, intake.retry, budget)
            except (TimeoutError, UpstreamConnectionError):
                if last:
                    raise
                continue
            if last or not fallback.hands_over(response.status):
                return response, index
            response.release()
        raise AssertionError("unreachable: the last fallback returns or raises")


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
        if route.provider == "OPENAI" and headers.other:
            api_base = headers.other.get("helicone-openai-api-base")
            if api_base:
                return _openai_api_base(api_base)
        return route.base_url
    target = (headers.target_url or "").rstrip("/")
    if not target:
        raise InvalidRequestError("The /gateway route needs a Helicone-Target-Url header")
    try:
        destination(target)
    except OutboundUrlError as exc:
        raise InvalidRequestError(f"Helicone-Target-Url: {exc}") from None
    return target


def _openai_api_base(value: str) -> str:
    """The upstream of an OpenAI-route call sent with Helicone-OpenAI-Api-Base (an Azure
    resource, say): its origin, as Helicone's worker keeps only that. The outbound policy
    still decides whether it may be reached."""
    try:
        destination(value)
    except OutboundUrlError as exc:
        raise InvalidRequestError(f"Helicone-OpenAI-Api-Base: {exc}") from None
    parts = urlsplit(value)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

"""The gateway's side of the one port: the unified gateway and the passthrough proxy with
their steps (prompts, legacy prompts, PostHog), and the dispatch of every HTTP request to
one of them or to the rest of the server.

Shared by the single process (app.py, where the rest is the REST API and the dashboard in
the same process) and the gateway workers of `serve --workers N` (workers/, where the rest
is forwarded to the store process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from heliograph.asgi import Receive, Scope, Send, send_error
from heliograph.config import Settings, org_thresholds
from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import HeliographError, envelope, openai_error
from heliograph.gateway.body_limit import BodyLimit
from heliograph.gateway.cache import ResponseCache
from heliograph.gateway.guard import CallGuard
from heliograph.gateway.llm_security_step import ThreatPolicy, llm_security_step
from heliograph.gateway.moderation import Moderator
from heliograph.gateway.moderation_step import (
    gateway_targeting,
    moderation_step,
    passthrough_targeting,
)
from heliograph.gateway.proxy import PASSTHROUGH_INTAKE, Passthrough
from heliograph.gateway.ratelimit import RateLimiter
from heliograph.gateway.retry import RetryLimits
from heliograph.gateway.routes import PROXY_ROUTE, RouteTable
from heliograph.gateway.routing import Router
from heliograph.gateway.steps import call_flow
from heliograph.gateway.unified import GATEWAY_PATHS, UNIFIED_INTAKE, Unified
from heliograph.httpclient.pool import ConnectionPool
from heliograph.legacy_prompt_step import legacy_prompt_step
from heliograph.meta.keys import KeyStore
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import RowBuilder
from heliograph.pipeline.writer import LogPipeline
from heliograph.posthog.export import PostHogExport
from heliograph.posthog_step import posthog_step
from heliograph.prompt_step import prompt_step
from heliograph.prompts.service import Prompts
from heliograph.security.classifier import load_model
from heliograph.workpool import BoundedPool

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Async-log endpoints (manual loggers, LiteLLM's callback, OTLP, Jawn's trace routes) live in
# the REST API, but `/anthropic/...` would otherwise be taken by the passthrough proxy; all
# of them take bodies up to `max_async_log_body_bytes`, not the API's limit, and are refused
# (503) while the log cannot be stored.
ASYNC_LOG_PATHS = frozenset(
    {
        "/custom/v1/log",
        "/oai/v1/log",
        "/anthropic/v1/log",
        "/v1/trace/log",
        "/v1/traces",
        "/v1/trace/custom/log",
        "/v1/trace/custom/v1/log",
        "/v1/trace/custom/log/typed",
        "/v1/trace/log-python",
    }
)

# The answer to a call while its log row could not be stored (log_loss_policy = "refuse").
LOGGING_UNAVAILABLE = HeliographError(
    "logging is unavailable: this gateway cannot store request logs right now "
    "(see /healthz); retry later",
    status=503,
)


@dataclass(frozen=True)
class GatewayParts:
    """What the gateway's flows are made of."""

    settings: Settings
    keys: KeyStore
    pipeline: LogPipeline
    rows: RowBuilder
    catalog: PriceCatalog
    upstream: ConnectionPool  # every proxied call goes out through this one pool
    router: Router
    provider_keys: ProviderKeyStore
    cache: ResponseCache
    limiter: RateLimiter
    prompts: Prompts


class GatewayFront:
    def __init__(self, parts: GatewayParts) -> None:
        settings = parts.settings
        self._routes = RouteTable(settings.provider_base_urls)
        self._pipeline = parts.pipeline
        calls = CallLog(parts.pipeline, parts.rows)
        guard = CallGuard(parts.limiter, parts.cache, calls)
        limits = RetryLimits.from_settings(settings)
        passthrough = Passthrough(parts.upstream, parts.catalog, limits)
        self._proxy = call_flow(PASSTHROUGH_INTAKE, passthrough, parts.keys, limits, guard, calls)
        unified = Unified(parts.provider_keys, parts.router, parts.upstream, limits)
        self._gateway = call_flow(UNIFIED_INTAKE, unified, parts.keys, limits, guard, calls)
        # Before "plan": a saved prompt may name the model the plan chooses targets by.
        assembly = prompt_step(parts.prompts, settings.max_gateway_body_bytes)
        self._gateway.insert_before("plan", assembly)
        # Helicone-Prompt-Id: the tags leave the body before anything else reads it.
        legacy = legacy_prompt_step(parts.prompts.legacy)
        self._gateway.insert_before("prompt", legacy)
        self._proxy.insert_before("plan", legacy)
        # Helicone-Moderations-Enabled: checked after the guard, before anything goes upstream.
        moderator = Moderator(parts.upstream, settings.moderation_timeout_s)
        closed = settings.moderation_fail == "closed"
        for flow, targeting in (
            (self._proxy, passthrough_targeting(parts.router)),
            (self._gateway, gateway_targeting(parts.router, parts.provider_keys)),
        ):
            flow.insert_before("upstream", moderation_step(moderator, targeting, calls, closed))
        # Helicone-LLM-Security-Enabled: the local classifier, after the guard, before the
        # moderation round trip and upstream.
        threats = ThreatPolicy(
            load_model(),
            settings.llm_security_threshold,
            org_thresholds(settings.llm_security_thresholds),
        )
        scoring = BoundedPool("llm-security", threads=1, queue=64)
        for flow in (self._proxy, self._gateway):
            flow.insert_before("moderation", llm_security_step(threats, scoring, calls))
        # Helicone-Posthog-Key: the logged row goes to PostHog, off the request path.
        self.posthog_export = PostHogExport(parts.upstream)
        for flow in (self._proxy, self._gateway):
            flow.steps.append(posthog_step(self.posthog_export))
        self._gateway_body = BodyLimit(settings.max_gateway_body_bytes, openai_error)
        self._proxy_body = BodyLimit(settings.max_gateway_body_bytes, openai_error)
        self._async_log_body = BodyLimit(settings.max_async_log_body_bytes, envelope)
        self._rest_body = BodyLimit(settings.max_api_body_bytes, envelope)

    def serve(self, scope: Scope, receive: Receive, send: Send, rest: ASGIApp) -> Awaitable[None]:
        """What to await for one HTTP request: a call to the gateway or the proxy, or
        `rest`'s (returned, not awaited here: no frame of this method around a stream)."""
        path = scope["path"]
        gateway = path in GATEWAY_PATHS
        async_log = path in ASYNC_LOG_PATHS
        route = None if gateway or async_log else self._routes.match(path)
        # Every call that would be logged, while its row could not be stored.
        if gateway:
            return self.serve_gateway(scope, receive, send)
        if self._pipeline.refusing and (async_log or route is not None):
            return self._refuse(send)
        if async_log:
            return self._async_log_body(rest, scope, receive, send)
        if route is not None:
            scope[PROXY_ROUTE] = route
            return self._proxy_body(self._proxy, scope, receive, send)
        return self._rest_body(rest, scope, receive, send)

    def serve_gateway(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """What to await for one call to the unified gateway (an HTTP client's, or one made
        in-process): the call's own coroutine, no frame of this method around a stream."""
        if self._pipeline.refusing:
            return self._refuse(send)
        return self._gateway_body(self._gateway, scope, receive, send)

    async def _refuse(self, send: Send) -> None:
        """A call that would be logged, while logging cannot store (the "refuse" policy)."""
        self._pipeline.count_refused()
        await send_error(send, LOGGING_UNAVAILABLE, render=openai_error)

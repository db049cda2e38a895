"""The one ASGI application: proxy routes on a raw-ASGI hot path, the rest on FastAPI."""

from __future__ import annotations

import contextlib
import gc
import logging

from heliograph.alerts.evaluator import AlertEvaluator
from heliograph.alerts.notify import Notifier
from heliograph.alerts.store import AlertStore
from heliograph.api.app import create_api
from heliograph.api.services import Services
from heliograph.asgi import Receive, Scope, Send, serve_lifespan
from heliograph.config import Settings
from heliograph.datasets.service import Datasets
from heliograph.errors import HeliographError
from heliograph.evaluators.service import Evaluators
from heliograph.experiments.service import Experiments
from heliograph.gateway.inprocess import call_gateway
from heliograph.gateway_build import build_gateway_parts, log_pipeline, shared_state
from heliograph.gateway_front import GatewayFront, GatewayParts
from heliograph.hql.service import HqlService
from heliograph.hql.tables import ALLOWED_TABLES, INTERNAL_TABLES, ORG_PARAM
from heliograph.meta import db
from heliograph.meta.hidden_properties import HiddenPropertyStore
from heliograph.meta.keys import Principal
from heliograph.meta.members import MemberStore
from heliograph.meta.organizations import OrganizationStore
from heliograph.meta.provider_keys import load_fernet, load_secret
from heliograph.meta.users import UserStore
from heliograph.meta.web_sessions import WebSessionStore
from heliograph.pipeline.sink import ClickHouseSink
from heliograph.pipeline.stream_ingest import StreamIngest
from heliograph.store.engines import HqlScope, store_engine
from heliograph.store.schema import apply_migrations
from heliograph.ui.routes import router as dashboard_router
from heliograph.webhooks.service import Webhooks

log = logging.getLogger("heliograph")

# The most of an evaluator's judge answer read (a verdict is a few bytes).
JUDGE_MAX_BYTES = 1 << 20
# The most of an experiment call's answer read (its row keeps the whole answer).
EXPERIMENT_MAX_BYTES = 8 << 20


def gateway_parts(services: Services) -> GatewayParts:
    """The parts of the server's services its gateway flows use."""
    return GatewayParts(
        settings=services.settings,
        keys=services.keys,
        pipeline=services.pipeline,
        rows=services.rows,
        catalog=services.catalog,
        upstream=services.upstream,
        router=services.router,
        provider_keys=services.provider_keys,
        cache=services.cache,
        limiter=services.limiter,
        prompts=services.prompts,
    )


def build_services(settings: Settings) -> Services:
    metadata = db.connect(settings.metadata_url)
    db.migrate(metadata)
    sessions = db.session_factory(metadata)
    hql = HqlScope(
        ORG_PARAM,
        (*ALLOWED_TABLES, *INTERNAL_TABLES),
        load_secret(settings.secret_key, settings.data_dir),
    )
    engine = store_engine(settings, hql)
    pipeline = log_pipeline(settings, settings.data_dir / "spool", ClickHouseSink(engine))
    pipeline.watch_backlog(engine.priority.follow_log_backlog)
    parts = build_gateway_parts(settings, sessions, pipeline, shared_state(settings))
    keys = parts.keys
    keys.organization()  # the default organization exists from the first start
    if settings.api_key:
        keys.ensure(settings.api_key)
    fernet = load_fernet(settings.secret_key, settings.data_dir)
    evaluators = Evaluators(sessions, settings, pipeline, engine)
    users = UserStore(sessions, keys)
    ingest = None
    if settings.log_stream:  # `requires` made sure of redis_url
        staging = settings.data_dir / "stream-staging"
        ingest = StreamIngest(settings.redis_url, settings.log_stream, pipeline, staging)
    return Services(
        settings=settings,
        keys=keys,
        engine=engine,
        pipeline=pipeline,
        catalog=parts.catalog,
        upstream=parts.upstream,
        rows=parts.rows,
        router=parts.router,
        provider_keys=parts.provider_keys,
        cache=parts.cache,
        limiter=parts.limiter,
        alerts=AlertStore(sessions),
        users=users,
        members=MemberStore(sessions, users.hash_password),
        organizations=OrganizationStore(sessions),
        web_sessions=WebSessionStore(sessions),
        webhooks=Webhooks(sessions, fernet, settings, pipeline),
        hql=HqlService(sessions),
        prompts=parts.prompts,
        datasets=Datasets(sessions),
        evaluators=evaluators,
        experiments=Experiments(sessions, settings, engine, parts.prompts, evaluators),
        hidden_properties=HiddenPropertyStore(sessions),
        stream_ingest=ingest,
    )


class HeliographApp:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._front = GatewayFront(gateway_parts(services))
        self.posthog_export = self._front.posthog_export
        # The REST API runs the dashboard's prompt playground through the gateway's flow.
        self._api = create_api(services, gateway=self._front.serve_gateway)
        # Evaluators' judges call the gateway in-process, logged and costed as any call.
        services.evaluators.judge_link.target = self._judge
        # Experiments run prompt versions through the gateway in-process, the same way.
        services.experiments.gateway.target = self._experiment_call
        self._api.include_router(dashboard_router)  # the dashboard: its page and static files
        self._started = contextlib.AsyncExitStack()
        settings = services.settings
        self._alerts = AlertEvaluator(
            services.alerts,
            services.engine,
            Notifier(settings),
            settings.alert_check_seconds,
            settings.alert_resolve_cooldown_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._front.serve(scope, receive, send, self._api)
            return
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self.startup, self.shutdown)
            return
        await self._api(scope, receive, send)

    async def _call_in_process(
        self, organization_id: str, body: bytes, headers: dict[str, str], max_bytes: int
    ) -> tuple[int, bytes]:
        """A chat completion through the unified gateway, for the organization."""
        principal = Principal(organization_id, "")  # logged with no key, as a session's call
        try:
            answer = await call_gateway(
                self._front.serve_gateway,
                principal,
                "/v1/chat/completions",
                body,
                headers,
                max_bytes,
            )
        except HeliographError as exc:  # no answer, or one too large
            return exc.status, exc.message.encode()
        return answer.status, answer.body

    async def _judge(
        self, organization_id: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """One judge call of an evaluator."""
        return await self._call_in_process(organization_id, body, headers, JUDGE_MAX_BYTES)

    async def _experiment_call(
        self, organization_id: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """One call of an experiment's prompt version on a row."""
        return await self._call_in_process(organization_id, body, headers, EXPERIMENT_MAX_BYTES)

    async def startup(self) -> None:
        """Start everything; when a step fails, what already started is stopped again."""
        services = self.services
        async with contextlib.AsyncExitStack() as started:
            # Built, not started, but each holds sockets or threads to release.
            started.push_async_callback(services.cache.close)
            started.push_async_callback(services.limiter.close)
            started.callback(services.upstream.close)
            await services.engine.open()
            started.push_async_callback(services.engine.close)
            engine = services.engine
            await apply_migrations(engine, engine.cluster, shared=not engine.embedded)
            await services.pipeline.start()
            started.push_async_callback(services.pipeline.close)
            if services.stream_ingest is not None:  # stopped before the pipeline closes
                await services.stream_ingest.start()
                started.push_async_callback(services.stream_ingest.stop)
            await services.prompts.start()
            started.push_async_callback(services.prompts.close)
            await self._alerts.start()
            started.push_async_callback(self._alerts.stop)  # before the engine it reads closes
            await self.posthog_export.start()
            started.push_async_callback(self.posthog_export.stop)  # before the pool it sends with
            await services.webhooks.start()
            # Rows the pipeline flushes at close still queue their deliveries: stopped first.
            started.push_async_callback(services.webhooks.stop)
            await services.evaluators.start()
            started.push_async_callback(services.evaluators.stop)
            await services.experiments.start()
            # Stopped before the evaluators its scoring uses.
            started.push_async_callback(services.experiments.stop)
            self._started = started.pop_all()
        # Start-up objects live forever: keep them out of the collector's way (shorter GC pauses).
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        """Stop what startup started, last started first."""
        await self._started.aclose()


def create_app(settings: Settings) -> HeliographApp:
    return HeliographApp(build_services(settings))

"""The one ASGI application: proxy routes on a raw-ASGI hot path, the rest on FastAPI."""

from __future__ import annotations

import contextlib
import gc
import logging

from sqlalchemy.orm import Session, sessionmaker

from heliograph.alerts.evaluator import AlertEvaluator
from heliograph.alerts.notify import Notifier
from heliograph.alerts.store import AlertStore
from heliograph.api.app import create_api
from heliograph.api.services import Services
from heliograph.asgi import Receive, Scope, Send
from heliograph.config import Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.datasets.service import Datasets
from heliograph.errors import HeliographError
from heliograph.evaluators.service import Evaluators
from heliograph.experiments.service import Experiments
from heliograph.gateway.cache import ResponseCache
from heliograph.gateway.cache_store import MemoryCacheStore, RedisCacheStore
from heliograph.gateway.inprocess import call_gateway
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.ratelimit import MemoryRateLimiter, RedisRateLimiter
from heliograph.gateway.routing import Router
from heliograph.gateway_front import GatewayFront, GatewayParts
from heliograph.hql.service import HqlService
from heliograph.hql.tables import ALLOWED_TABLES, INTERNAL_TABLES, ORG_PARAM
from heliograph.httpclient.pool import ConnectionPool
from heliograph.meta import db
from heliograph.meta.hidden_properties import HiddenPropertyStore
from heliograph.meta.keys import KeyStore, Principal
from heliograph.meta.provider_keys import ProviderKeyStore, load_fernet, load_secret
from heliograph.meta.users import UserStore
from heliograph.meta.web_sessions import WebSessionStore
from heliograph.outbound.policy import OutboundPolicy
from heliograph.pipeline.rows import RowBuilder
from heliograph.pipeline.sink import ClickHouseSink
from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from heliograph.prompts.bodies import EmbeddedBodyStore
from heliograph.prompts.bucket_setup import open_bucket
from heliograph.prompts.service import Prompts
from heliograph.prompts.signing import BodyUrlSigner
from heliograph.store.engines import HqlScope, store_engine
from heliograph.store.schema import apply_migrations
from heliograph.throttled_log import ThrottledLog
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
    prompts = prompt_service(settings, sessions)  # first: a bucket that cannot be used stops here
    # One line a minute about a down metadata database, whichever store noticed it.
    metadata_warnings = ThrottledLog(logging.getLogger("heliograph.meta"))
    keys = KeyStore(sessions, cache_s=settings.key_cache_s, warnings=metadata_warnings)
    keys.organization()  # the default organization exists from the first start
    if settings.api_key:
        keys.ensure(settings.api_key)
    hql = HqlScope(
        ORG_PARAM,
        (*ALLOWED_TABLES, *INTERNAL_TABLES),
        load_secret(settings.secret_key, settings.data_dir),
    )
    engine = store_engine(settings, hql)
    pipeline = LogPipeline(
        Spool(settings.data_dir / "spool"),
        ClickHouseSink(engine),
        batch_rows=settings.log_batch_rows,
        batch_ms=settings.log_batch_ms,
        fsync_ms=settings.spool_fsync_ms,
        memory_buffer_bytes=settings.log_memory_buffer_bytes,
        loss_policy=settings.log_loss_policy,
    )
    pipeline.watch_backlog(engine.priority.follow_log_backlog)
    catalog = PriceCatalog.load_default()
    fernet = load_fernet(settings.secret_key, settings.data_dir)
    evaluators = Evaluators(sessions, settings, pipeline, engine)
    return Services(
        settings=settings,
        keys=keys,
        engine=engine,
        pipeline=pipeline,
        catalog=catalog,
        upstream=ConnectionPool(
            settings.upstream_connect_timeout_s,
            settings.upstream_read_timeout_s,
            policy=OutboundPolicy.from_settings(settings),
        ),
        rows=RowBuilder(catalog),
        router=Router(gateway_providers(settings), catalog),
        provider_keys=ProviderKeyStore(
            sessions, fernet, cache_s=settings.provider_key_cache_s, warnings=metadata_warnings
        ),
        cache=ResponseCache(
            RedisCacheStore(settings.redis_url) if settings.redis_url else MemoryCacheStore()
        ),
        limiter=(
            RedisRateLimiter(settings.redis_url, settings.ratelimit_fail == "closed")
            if settings.redis_url
            else MemoryRateLimiter()
        ),
        alerts=AlertStore(sessions),
        users=UserStore(sessions, keys),
        web_sessions=WebSessionStore(sessions),
        webhooks=Webhooks(sessions, fernet, settings, pipeline),
        hql=HqlService(sessions),
        prompts=prompts,
        datasets=Datasets(sessions),
        evaluators=evaluators,
        experiments=Experiments(sessions, settings, engine, prompts, evaluators),
        hidden_properties=HiddenPropertyStore(sessions),
    )


def prompt_service(settings: Settings, sessions: sessionmaker[Session]) -> Prompts:
    """Prompts with their bodies in the metadata database, or in the bucket the settings name
    (checked here, before the event loop runs: its calls block)."""
    signer = BodyUrlSigner(load_secret(settings.secret_key, settings.data_dir))
    bucket = open_bucket(settings, sessions)
    if bucket is None:
        return Prompts(sessions, EmbeddedBodyStore(sessions), signer, settings.prompt_cache_s)
    return Prompts(sessions, bucket, signer, settings.prompt_cache_s, urls=bucket)


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
            await self._lifespan(receive, send)
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

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(settings: Settings) -> HeliographApp:
    return HeliographApp(build_services(settings))

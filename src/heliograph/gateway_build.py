"""Building the gateway's parts from the settings: shared by the single process (app.py)
and the gateway workers of `serve --workers N` (workers/gateway_worker.py), which differ
only in where log rows go and where rate limits and cached responses are kept."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.costs.registry import ModelRegistry
from heliograph.gateway.cache import ResponseCache
from heliograph.gateway.cache_store import CacheStore, MemoryCacheStore, RedisCacheStore
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from heliograph.gateway.routing import Router
from heliograph.gateway_front import GatewayParts
from heliograph.httpclient.pool import ConnectionPool
from heliograph.meta.keys import KeyStore
from heliograph.meta.provider_keys import ProviderKeyStore, load_fernet, load_secret
from heliograph.meta.proxy_keys import ProxyKeyStore
from heliograph.outbound.policy import OutboundPolicy
from heliograph.pipeline.rows import RowBuilder
from heliograph.pipeline.sink import LogSink
from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from heliograph.prompts.bodies import EmbeddedBodyStore
from heliograph.prompts.bucket_setup import open_bucket
from heliograph.prompts.service import Prompts
from heliograph.prompts.signing import BodyUrlSigner
from heliograph.throttled_log import ThrottledLog


def log_pipeline(settings: Settings, spool: Path, sink: LogSink) -> LogPipeline:
    """The log pipeline over the spool directory `spool`, delivering to `sink`."""
    return LogPipeline(
        Spool(spool),
        sink,
        batch_rows=settings.log_batch_rows,
        batch_ms=settings.log_batch_ms,
        fsync_ms=settings.spool_fsync_ms,
        memory_buffer_bytes=settings.log_memory_buffer_bytes,
        loss_policy=settings.log_loss_policy,
    )


def shared_state(settings: Settings) -> tuple[CacheStore, RateLimiter]:
    """Where one process keeps cached responses and rate-limit windows: Redis when
    configured (shared with every other process using it), else its own memory."""
    if settings.redis_url:
        fail_closed = settings.ratelimit_fail == "closed"
        return RedisCacheStore(settings.redis_url), RedisRateLimiter(
            settings.redis_url, fail_closed
        )
    return MemoryCacheStore(), MemoryRateLimiter()


def build_gateway_parts(
    settings: Settings,
    sessions: sessionmaker[Session],
    pipeline: LogPipeline,
    state: tuple[CacheStore, RateLimiter],
) -> GatewayParts:
    prompts = prompt_service(settings, sessions)  # first: a bucket that cannot be used stops here
    # One line a minute about a down metadata database, whichever store noticed it.
    metadata_warnings = ThrottledLog(logging.getLogger("heliograph.meta"))
    catalog = PriceCatalog.load_default()
    fernet = load_fernet(settings.secret_key, settings.data_dir)
    cache_store, limiter = state
    proxy_keys = ProxyKeyStore(
        sessions, fernet, cache_s=settings.provider_key_cache_s, warnings=metadata_warnings
    )
    return GatewayParts(
        settings=settings,
        keys=KeyStore(
            sessions,
            cache_s=settings.key_cache_s,
            warnings=metadata_warnings,
            proxy_keys=proxy_keys,
        ),
        pipeline=pipeline,
        rows=RowBuilder(catalog),
        catalog=catalog,
        upstream=ConnectionPool(
            settings.upstream_connect_timeout_s,
            settings.upstream_read_timeout_s,
            policy=OutboundPolicy.from_settings(settings),
        ),
        router=Router(gateway_providers(settings), catalog, ModelRegistry.load_default()),
        provider_keys=ProviderKeyStore(
            sessions, fernet, cache_s=settings.provider_key_cache_s, warnings=metadata_warnings
        ),
        cache=ResponseCache(cache_store),
        limiter=limiter,
        prompts=prompts,
    )


def prompt_service(settings: Settings, sessions: sessionmaker[Session]) -> Prompts:
    """Prompts with their bodies in the metadata database, or in the bucket the settings name
    (checked here, before the event loop runs: its calls block)."""
    signer = BodyUrlSigner(load_secret(settings.secret_key, settings.data_dir))
    bucket = open_bucket(settings, sessions)
    if bucket is None:
        return Prompts(sessions, EmbeddedBodyStore(sessions), signer, settings.prompt_cache_s)
    return Prompts(sessions, bucket, signer, settings.prompt_cache_s, urls=bucket)

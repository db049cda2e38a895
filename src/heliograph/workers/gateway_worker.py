"""One gateway worker of `serve --workers N`: proxy and gateway calls are served here, on
the port it shares with the other workers (SO_REUSEPORT); everything else goes on to the
store process (forward.py). Its log rows go through a spool of its own and are handed to
the store process in batches (pipeline/handoff.py); rate limits and the response cache are
Redis's when configured, else the store process's (gateway/store_state.py). It reports its
log pipeline's health every second (pipeline/worker_reports.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os

from heliograph.asgi import Receive, Scope, Send, serve_lifespan
from heliograph.config import Settings
from heliograph.gateway.store_state import StoreCacheStore, StoreRateLimiter
from heliograph.gateway_build import build_gateway_parts, log_pipeline, shared_state
from heliograph.gateway_front import GatewayFront, GatewayParts
from heliograph.httpclient.local_socket import UnixSocketPool
from heliograph.meta import db
from heliograph.pipeline.handoff import HandoffSink
from heliograph.pipeline.worker_reports import REPORT_EVERY_S, write_report
from heliograph.throttled_log import ThrottledLog, describe
from heliograph.workers import layout, serving
from heliograph.workers.forward import StoreForwarder

log = logging.getLogger("heliograph.workers")
STATE_TIMEOUT_S = 2.0  # a rate-limit or cache call to the store process


class GatewayWorkerApp:
    def __init__(self, settings: Settings, worker: str) -> None:
        self._worker = worker
        self._reports = layout.reports_dir(settings)
        socket_path = layout.store_socket(settings)
        connect_s = settings.upstream_connect_timeout_s
        # Forwarded requests may run long (an export, a query); state calls may not.
        self._store = UnixSocketPool(socket_path, connect_s, settings.upstream_read_timeout_s)
        self._state = UnixSocketPool(socket_path, connect_s, STATE_TIMEOUT_S)
        self.parts = _parts(settings, worker, self._state)
        self._front = GatewayFront(self.parts)
        self._forward = StoreForwarder(self._store)
        self._started = contextlib.AsyncExitStack()
        self._warnings = ThrottledLog(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._front.serve(scope, receive, send, self._forward)
        elif scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self.startup, self.shutdown)

    async def startup(self) -> None:
        parts = self.parts
        async with contextlib.AsyncExitStack() as started:
            started.push_async_callback(parts.cache.close)
            started.push_async_callback(parts.limiter.close)
            started.callback(parts.upstream.close)
            started.callback(self._store.close)
            started.callback(self._state.close)
            await parts.pipeline.start()  # hands off what an earlier run of it left
            started.push_async_callback(parts.pipeline.close)
            await parts.prompts.start()
            started.push_async_callback(parts.prompts.close)
            await self._front.posthog_export.start()
            started.push_async_callback(self._front.posthog_export.stop)
            reporting = asyncio.create_task(self._report_loop(), name="worker-report")
            started.push_async_callback(_cancel, reporting)
            self._started = started.pop_all()
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        await self._started.aclose()
        await asyncio.to_thread(self._report)  # the last word: its rows handed off

    def _report(self) -> None:
        write_report(self._reports, self._worker, self.parts.pipeline)

    async def _report_loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._report)
            except Exception as exc:  # a full disk: the store process sees the report go stale
                self._warnings.warning(
                    "report", "cannot write the worker report: %s", describe(exc)
                )
            await asyncio.sleep(REPORT_EVERY_S)


def _parts(settings: Settings, worker: str, state: UnixSocketPool) -> GatewayParts:
    metadata = db.connect(settings.metadata_url)  # migrated by the store process
    sessions = db.session_factory(metadata)
    sink = HandoffSink(layout.handoff_dir(settings), worker)
    pipeline = log_pipeline(settings, layout.worker_spool(settings, worker), sink)
    if settings.redis_url:
        cache_and_limits = shared_state(settings)
    else:
        fail_closed = settings.ratelimit_fail == "closed"
        cache_and_limits = (StoreCacheStore(state), StoreRateLimiter(state, fail_closed))
    return build_gateway_parts(settings, sessions, pipeline, cache_and_limits)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def run_gateway_worker(settings: Settings, index: int) -> None:
    """A worker process's life (the supervisor's child): serve until told to stop."""
    os.setpgrp()  # Ctrl-C reaches the supervisor only: it stops the workers in order
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    worker = layout.worker_name(index)
    sock = serving.tcp_socket(settings.host, settings.port, reuse_port=True, listen=True)
    serving.run(GatewayWorkerApp(settings, worker), settings, sock)

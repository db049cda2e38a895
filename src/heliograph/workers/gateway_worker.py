"""A process that serves gateway and proxy calls only, on a port of its own or shared:

- a gateway worker of `serve --workers N` (`worker_app`): its log rows go through a spool
  of its own and are handed to the store process in batches (pipeline/handoff.py); every
  other path is forwarded to the store process (forward.py); rate limits and the response
  cache are Redis's when configured, else the store process's (gateway/store_state.py); it
  reports its log pipeline's health every second (pipeline/worker_reports.py);
- the gateway role, `heliograph gateway` (gateway_role.py): its batches go to the Redis
  log stream, and it answers only its own /healthz besides the calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from heliograph.asgi import Receive, Scope, Send, serve_lifespan
from heliograph.config import Settings
from heliograph.gateway.store_state import StoreCacheStore, StoreRateLimiter
from heliograph.gateway_build import build_gateway_parts, log_pipeline, shared_state
from heliograph.gateway_front import ASGIApp, GatewayFront, GatewayParts
from heliograph.httpclient.local_socket import UnixSocketPool
from heliograph.meta import db
from heliograph.pipeline.handoff import HandoffSink
from heliograph.pipeline.sink import LogSink
from heliograph.pipeline.worker_reports import REPORT_EVERY_S, write_report
from heliograph.throttled_log import ThrottledLog, describe
from heliograph.workers import layout, serving
from heliograph.workers.child import become_child
from heliograph.workers.forward import StoreForwarder

log = logging.getLogger("heliograph.workers")
STATE_TIMEOUT_S = 2.0  # a rate-limit or cache call to the store process
Closer = Callable[[], Awaitable[None]]


class GatewayProcessApp:
    """The gateway's flows, `rest` for every other path; `closers` run at shutdown after
    the flows' parts stopped; `report`, when given, runs every second (on a thread)."""

    def __init__(
        self,
        parts: GatewayParts,
        rest: ASGIApp,
        closers: list[Closer],
        report: Callable[[], None] | None = None,
    ) -> None:
        self.parts = parts
        self._front = GatewayFront(parts)
        self._rest = rest
        self._closers = closers
        self._report = report
        self._started = contextlib.AsyncExitStack()
        self._warnings = ThrottledLog(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._front.serve(scope, receive, send, self._rest)
        elif scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self.startup, self.shutdown)

    async def startup(self) -> None:
        parts = self.parts
        async with contextlib.AsyncExitStack() as started:
            for closer in self._closers:
                started.push_async_callback(closer)
            started.push_async_callback(parts.cache.close)
            started.push_async_callback(parts.limiter.close)
            started.callback(parts.upstream.close)
            await parts.pipeline.start()  # sends on what an earlier run of it left
            started.push_async_callback(parts.pipeline.close)
            await parts.prompts.start()
            started.push_async_callback(parts.prompts.close)
            await self._front.posthog_export.start()
            started.push_async_callback(self._front.posthog_export.stop)
            if self._report is not None:
                reporting = asyncio.create_task(self._report_loop(), name="worker-report")
                started.push_async_callback(_cancel, reporting)
            self._started = started.pop_all()
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        await self._started.aclose()
        if self._report is not None:
            await asyncio.to_thread(self._report)  # the last word: its rows handed off

    async def _report_loop(self) -> None:
        assert self._report is not None
        while True:
            try:
                await asyncio.to_thread(self._report)
            except Exception as exc:  # a full disk: the store process sees it go stale
                self._warnings.warning("report", "cannot write the report: %s", describe(exc))
            await asyncio.sleep(REPORT_EVERY_S)


def gateway_parts(
    settings: Settings, spool: Path, sink: LogSink, store: UnixSocketPool | None
) -> GatewayParts:
    """The parts of a gateway process logging through the spool directory `spool` to `sink`,
    its cache and rate limits Redis's, else `store`'s (the store process's)."""
    metadata = db.connect(settings.metadata_url)  # migrated by the store process or serve
    sessions = db.session_factory(metadata)
    pipeline = log_pipeline(settings, spool, sink)
    if settings.redis_url or store is None:
        cache_and_limits = shared_state(settings)
    else:
        fail_closed = settings.ratelimit_fail == "closed"
        cache_and_limits = (StoreCacheStore(store), StoreRateLimiter(store, fail_closed))
    return build_gateway_parts(settings, sessions, pipeline, cache_and_limits)


def worker_app(settings: Settings, worker: str) -> GatewayProcessApp:
    """A gateway worker of `serve --workers N`."""
    socket_path = layout.store_socket(settings)
    connect_s = settings.upstream_connect_timeout_s
    # Forwarded requests may run long (an export, a query); state calls may not.
    store = UnixSocketPool(socket_path, connect_s, settings.upstream_read_timeout_s)
    state = UnixSocketPool(socket_path, connect_s, STATE_TIMEOUT_S)
    sink = HandoffSink(layout.handoff_dir(settings), worker)
    parts = gateway_parts(settings, layout.worker_spool(settings, worker), sink, state)
    reports = layout.reports_dir(settings)
    return GatewayProcessApp(
        parts,
        StoreForwarder(store),
        [_closing(store), _closing(state)],
        report=lambda: write_report(reports, worker, parts.pipeline),
    )


def _closing(pool: UnixSocketPool) -> Closer:
    async def close() -> None:
        pool.close()

    return close


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def run_gateway_worker(settings: Settings, index: int, supervisor_pid: int) -> None:
    """A worker process's life (the supervisor's child): serve until told to stop."""
    become_child(supervisor_pid)
    worker = layout.worker_name(index)
    sock = serving.tcp_socket(settings.host, settings.port, reuse_port=True, listen=True)
    serving.run(worker_app(settings, worker), settings, sock)

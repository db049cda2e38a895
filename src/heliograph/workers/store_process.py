"""The store process of `serve --workers N`: the whole server (the REST API, the
dashboard, the log store's only owner, every background worker) on a Unix socket that
only the gateway workers reach, taking in the log rows they hand off (HandoffIntake)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from heliograph.app import HeliographApp, build_services
from heliograph.asgi import Receive, Scope, Send, serve_lifespan
from heliograph.config import Settings
from heliograph.pipeline.handoff import handed_off
from heliograph.pipeline.worker_reports import WorkerReports
from heliograph.pipeline.writer import LogPipeline
from heliograph.throttled_log import ThrottledLog, describe
from heliograph.workers import layout, serving
from heliograph.workers.child import become_child
from heliograph.workers.store_socket import StoreSocketApp

log = logging.getLogger("heliograph.workers")
MAX_FILES_A_ROUND = 256


class HandoffIntake:
    """Every batch period, the files the gateway workers handed off move into the log
    pipeline's spool, which stores them (LogPipeline.adopt)."""

    def __init__(self, settings: Settings, pipeline: LogPipeline) -> None:
        self._directory = layout.handoff_dir(settings)
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._pipeline = pipeline
        self._period_s = settings.log_batch_ms / 1000
        self._task: asyncio.Task[None] | None = None
        self._warnings = ThrottledLog(log)

    def take(self) -> None:
        for path in handed_off(self._directory, MAX_FILES_A_ROUND):
            try:
                self._pipeline.adopt(path)
            except OSError as exc:  # left in place: taken on a later round
                self._warnings.warning("adopt", "cannot take %s: %s", path.name, describe(exc))
                return

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="handoff-intake")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.take()  # what the workers handed off as they stopped

    async def _run(self) -> None:
        while True:
            try:
                self.take()
            except OSError as exc:  # no descriptor to list the directory with: next round
                self._warnings.warning("list", "cannot list the hand-off directory: %s", exc)
            await asyncio.sleep(self._period_s)


class StoreProcessApp:
    """The server with the hand-off intake started after it and stopped before it."""

    def __init__(self, settings: Settings) -> None:
        services = build_services(settings)
        services.worker_reports = WorkerReports(layout.reports_dir(settings))
        self.server = HeliographApp(services)
        self._intake = HandoffIntake(settings, services.pipeline)
        self.socket_app = StoreSocketApp(self, services.limiter, services.cache.store)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self._startup, self._shutdown)
        else:
            await self.server(scope, receive, send)

    async def _startup(self) -> None:
        await self.server.startup()
        await self._intake.start()

    async def _shutdown(self) -> None:
        await self._intake.stop()
        await self.server.shutdown()


def run_store_process(settings: Settings, supervisor_pid: int) -> None:
    """The store process's life (the supervisor's child): serve until told to stop."""
    become_child(supervisor_pid)
    app = StoreProcessApp(settings)
    sock = serving.unix_socket(layout.store_socket(settings))
    serving.run(app.socket_app, settings, sock)

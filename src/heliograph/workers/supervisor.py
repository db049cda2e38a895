"""`heliograph serve --workers N`: the supervisor. It starts the store process, waits for
it to answer, then starts N gateway workers on the port; a child that dies is started
again (a crash loop is slowed down); on SIGTERM or Ctrl-C the workers stop first (their
last rows handed off), then the store process (which stores them)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from heliograph.config import Settings
from heliograph.pipeline.worker_reports import WorkerReports
from heliograph.workers import layout
from heliograph.workers.gateway_worker import run_gateway_worker
from heliograph.workers.store_process import run_store_process

log = logging.getLogger("heliograph.workers")
STORE_READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
WATCH_EVERY_S = 0.2
RESTART_PAUSE_S = 1.0  # between restarts of a child that died within its first second


class Child:
    """One child process, started again when it dies."""

    def __init__(self, name: str, target: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.name, self._target, self._args = name, target, args
        self.process: BaseProcess | None = None
        self._started_at = 0.0
        self.restarts = 0

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no event loop or chDB state shared
        self.process = context.Process(target=self._target, args=self._args, name=self.name)
        self.process.start()
        self._started_at = time.monotonic()

    def restart_if_dead(self) -> None:
        process = self.process
        if process is None or process.is_alive():
            return
        log.error(
            "%s (pid %s) exited with %s; starting it again",
            self.name,
            process.pid,
            process.exitcode,
        )
        if time.monotonic() - self._started_at < 1.0:
            time.sleep(RESTART_PAUSE_S)
        self.restarts += 1
        self.start()

    def stop(self, timeout_s: float) -> None:
        process = self.process
        if process is None or not process.is_alive():
            return
        process.terminate()  # SIGTERM: uvicorn stops gracefully
        process.join(timeout_s)
        if process.is_alive():
            log.error("%s did not stop within %g s: killed", self.name, timeout_s)
            process.kill()
            process.join()


class Supervisor:
    def __init__(
        self, settings: Settings, workers: int, announce: Callable[[Settings], None]
    ) -> None:
        self._settings = settings
        self._announce = announce
        me = os.getpid()
        self._store = Child("store", run_store_process, (settings, me))
        self._workers = [
            Child(layout.worker_name(i), run_gateway_worker, (settings, i, me))
            for i in range(1, workers + 1)
        ]
        self._stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop_signal)
        signal.signal(signal.SIGINT, self._stop_signal)
        WorkerReports(layout.reports_dir(self._settings)).clear()
        try:
            self._store.start()
            self._wait_for_store()
            for worker in self._workers:
                worker.start()
            self._wait_for_workers()
            self._announce(self._settings)
            while not self._stopping:
                for child in (self._store, *self._workers):
                    child.restart_if_dead()
                time.sleep(WATCH_EVERY_S)
        finally:
            for worker in self._workers:
                worker.stop(STOP_TIMEOUT_S)
            self._store.stop(STOP_TIMEOUT_S)

    def _stop_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def _wait_for_workers(self) -> None:
        """Until every gateway worker reported once (it serves from then on)."""
        reports = WorkerReports(layout.reports_dir(self._settings))
        deadline = time.monotonic() + STORE_READY_TIMEOUT_S
        while not self._stopping:
            pids = {worker.process.pid for worker in self._workers if worker.process}
            if pids <= reports.reporting():
                return
            for worker in self._workers:
                worker.restart_if_dead()
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"the gateway workers did not start in {STORE_READY_TIMEOUT_S:g} s"
                )
            time.sleep(0.1)

    def _wait_for_store(self) -> None:
        """Until the store process answers on its socket (it migrated and started)."""
        deadline = time.monotonic() + STORE_READY_TIMEOUT_S
        path = str(layout.store_socket(self._settings))
        while not self._stopping:
            process = self._store.process
            if process is not None and not process.is_alive():
                raise SystemExit(f"the store process exited at start-up ({process.exitcode})")
            if _answers(path):
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"the store process did not answer in {STORE_READY_TIMEOUT_S:g} s")
            time.sleep(0.1)


def _answers(path: str) -> bool:
    """Whether an HTTP server on the Unix socket answers GET /healthz (any status)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(
                b"GET /healthz HTTP/1.1\r\nHost: heliograph-store\r\nConnection: close\r\n\r\n"
            )
            return sock.recv(12).startswith(b"HTTP/1.1 ")
    except OSError:
        return False

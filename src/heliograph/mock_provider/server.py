"""Run the fake in a background thread with its own event loop, for synchronous tests."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Self

from aiohttp import web

from .app import create_app
from .recording import STATE, Call

# Handlers still running at shutdown (a stream a test abandoned) get this long to finish.
SHUTDOWN_TIMEOUT = 1.0


class FakeProvider:
    """The fake provider served on `host` (a free port unless `port` is given).

    Use as a context manager or call `start()` / `stop()`; safe as a session fixture.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_calls: int | None = 10_000):
        self.host = host
        self.port = port
        self.app = create_app(max_calls=max_calls)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. "http://127.0.0.1:40123"."""
        return f"http://{self.host}:{self.port}"

    @property
    def calls(self) -> list[Call]:
        """The requests received so far, oldest first (test-control routes excluded)."""
        return list(self.app[STATE].calls)

    def reset(self) -> None:
        """Forget recorded calls and `fail_first` counters."""
        self.app[STATE].reset()

    def start(self) -> Self:
        if self._ready.is_set() or self._thread is not None:
            raise RuntimeError("a FakeProvider runs once; create another")
        self._thread = threading.Thread(target=self._run, name="fake-provider", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(); the thread has nobody else to tell
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

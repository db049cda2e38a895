"""Heliograph's ASGI app in the test process: real chDB, SQLite and log pipeline, no sockets.

The app runs on one event loop in a thread of its own (an anyio blocking portal), started
once; every client sends its requests there through `InProcessTransport`. chDB serves one
store directory at a time in a process, so an in-process app is module-scoped (`app_server`
in conftest.py) and closes its store before the next module opens one. Where the socket or
the process is the point (the relay, streaming, limits at the edge, durability, the CLI,
the browser), tests use `tests.server.HeliographProcess` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import requests
import requests.adapters
import requests.structures
import urllib3
from anyio.from_thread import BlockingPortal, start_blocking_portal

from heliograph.app import HeliographApp, create_app
from heliograph.helicone_headers import PROPERTY_PREFIX, RAW_PROPERTY_NAMES
from heliograph.settings_sources import load_settings
from tests.server import HeliographProcess, clean_environ, server_settings, wait_for_logged_row

BASE_URL = "http://heliograph.test"


class InProcessTransport(httpx.BaseTransport):
    """A sync httpx transport handing each request to the app on the portal's event loop,
    with the scope Heliograph's HTTP protocol gives (raw path, raw property header names)."""

    def __init__(self, app: HeliographApp, portal: BlockingPortal) -> None:
        self._app = app
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self._portal.call(exchange, self._app, request)
        return httpx.Response(status, headers=headers, content=body, request=request)


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """The same, for an AsyncClient used on the app's own loop."""

    def __init__(self, app: HeliographApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        status, headers, body = await exchange(self._app, request)
        return httpx.Response(status, headers=headers, content=body, request=request)


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    names = [name for name, _ in request.headers.raw]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": ("127.0.0.1", 50000),
        "server": ("heliograph.test", 80),
        # As gateway/http_protocol.py keeps them: property names in the case they were sent.
        RAW_PROPERTY_NAMES: [n for n in names if n.lower().startswith(PROPERTY_PREFIX)],
    }


async def exchange(
    app: HeliographApp, request: httpx.Request
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request through the ASGI app, its whole answer collected."""
    body = request.read()
    received = False
    status, headers, chunks = 500, [], []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # no disconnect while the app answers
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(request), receive, send)  # type: ignore[arg-type]
    return status, headers, b"".join(chunks)


class _RequestsAdapter(requests.adapters.BaseAdapter):
    """requests' transport into the in-process app, through its httpx client."""

    def __init__(self, server: InProcessServer) -> None:
        super().__init__()
        self._server = server

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        with self._server.client() as client:
            answer = client.request(
                request.method or "GET",
                request.url or "/",
                headers=dict(request.headers),
                content=request.body,
            )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        # Some readers (schemathesis) take the headers from the raw urllib3 response.
        response.raw = urllib3.HTTPResponse(
            body=answer.content,
            headers=list(answer.headers.multi_items()),
            status=answer.status_code,
            preload_content=False,
        )
        response._content = answer.content
        response.url = request.url or ""
        response.request = request
        response.reason = answer.reason_phrase
        response.encoding = answer.encoding
        return response

    def close(self) -> None:
        return None


class InProcessServer:
    """What tests use of a server (`url`, `auth`, `api()`, `wait_for_request`), in-process."""

    url = BASE_URL

    def __init__(
        self,
        data_dir: Path,
        provider_url: str,
        api_key: str = "sk-helicone-test-0000-key",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.api_key = api_key
        data = {"HELIOGRAPH_DATA_DIR": str(data_dir)}
        self._environ = server_settings(api_key, provider_url, {**data, **(env or {})})
        self._stack = contextlib.ExitStack()
        self.app: HeliographApp | None = None
        self._portal: BlockingPortal | None = None

    def start(self) -> InProcessServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)  # `heliograph serve` makes it
        settings = load_settings(environ=clean_environ() | self._environ)
        self.app = create_app(settings)
        self._portal = self._stack.enter_context(start_blocking_portal())
        self._portal.call(self.app.startup)
        return self

    def stop(self) -> None:
        if self.app is not None and self._portal is not None:
            self._portal.call(self.app.shutdown)
        self._stack.close()
        self.app = self._portal = None

    def run(self, coroutine_function: Any, *args: Any) -> Any:
        """Run `await coroutine_function(*args)` on the app's event loop (e.g. a store query)."""
        assert self._portal is not None, "start() first"
        return self._portal.call(coroutine_function, *args)

    def client(self, headers: Mapping[str, str] | None = None) -> httpx.Client:
        assert self.app is not None and self._portal is not None, "start() first"
        transport = InProcessTransport(self.app, self._portal)
        return httpx.Client(base_url=BASE_URL, transport=transport, headers=headers, timeout=30)

    def async_client(self, headers: Mapping[str, str] | None = None) -> httpx.AsyncClient:
        """A client for coroutines run on the app's loop with `run` (concurrent requests)."""
        assert self.app is not None, "start() first"
        transport = AsyncInProcessTransport(self.app)
        return httpx.AsyncClient(base_url=BASE_URL, transport=transport, headers=headers)

    def requests_session(self) -> requests.Session:
        """A `requests` session whose calls go to the app (for tools built on requests)."""
        session = requests.Session()
        session.mount("http://", _RequestsAdapter(self))  # whatever host and port it names
        return session

    def new_organization(self, prefix: str = "org") -> str:
        """The API key of a new organization of its own: rows no other test can see."""
        return self.create_key(f"{prefix}-{uuid.uuid4().hex[:12]}")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to `path` (as HeliographProcess.request: tests may use either)."""
        kwargs.pop("timeout", None)
        with self.client() as client:
            return client.request(method, path, **kwargs)

    @property
    def auth(self) -> dict[str, str]:
        return {"Helicone-Auth": f"Bearer {self.api_key}"}

    def api(self, key: str | None = None) -> httpx.Client:
        """A client for the REST API, authenticated with `key` (default: the bootstrap key)."""
        return self.client({"Authorization": f"Bearer {key or self.api_key}"})

    def create_key(self, org: str) -> str:
        """A new API key for organization `org` (created if missing)."""
        assert self.app is not None
        return self.app.services.keys.create("test", org, create_org=True).key

    def create_user(self, email: str, password: str, org: str) -> None:
        """A dashboard user of organization `org` (created if missing); what the CLI's
        `users create` does, with no process (tests/api/test_signin.py runs the CLI)."""
        assert self.app is not None
        self.app.services.users.create(email, password, org, create_org=True)

    def wait_for_request(
        self, request_id: str, key: str | None = None, timeout: float = 15.0
    ) -> dict[str, Any]:
        """The logged row of a request, waiting for the log pipeline to store it."""
        with self.api(key) as client:
            return wait_for_logged_row(client, request_id, timeout)


# What helpers shared by both layers take: a subprocess server or the in-process app.
AnyServer = HeliographProcess | InProcessServer

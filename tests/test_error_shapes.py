"""One error shape per surface, pinned: Helicone's envelope on the REST API, OpenAI's error
object on the proxy routes (the unified gateway's own and translated errors alike, and the
passthrough's own, which provider SDKs read as they read the provider's), and
every exception the project raises on purpose under HeliographError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import heliograph
from heliograph.errors import HeliographError
from heliograph.gateway.edge_limits import refusal
from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
# Routes anyone may call, and the HQL routes, whose errors carry a code (Helicone's HQL API).
# A prompt body's signed URL needs no key: its signature is the credential (docs/prompts.md).
PUBLIC = {
    "/healthz",
    "/v1/models",
    "/v1/models/multimodal",  # from the price catalog, no logged data (docs/gateway.md)
    "/v1/public/model-registry/models",
    "/v1/auth/sign-in",
    "/v1/auth/sign-out",
    "/v1/auth/session",
    "/v1/prompt-bodies/versionId",
}
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


def test_every_exception_of_the_project_is_a_heliograph_error():
    outside = []
    for module_info in pkgutil.walk_packages(heliograph.__path__, "heliograph."):
        if module_info.name.startswith("heliograph.mock_provider") or module_info.name.endswith(
            "__main__"
        ):
            continue  # stands in for a provider: its errors are the provider's
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == module.__name__
                and not issubclass(value, HeliographError)
            ):
                outside.append(f"{module.__name__}.{name}")
    assert outside == []


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    env = {
        "HELIOGRAPH_OPENAI_API_KEY": "sk-openai-fake-behaviour:status=429",
        "HELIOGRAPH_ANTHROPIC_API_KEY": "sk-ant-fake-behaviour:status=429",
        "HELIOGRAPH_GOOGLE_BASE_URL": fake_provider.url,
        "HELIOGRAPH_GOOGLE_API_KEY": "AIza-fake-behaviour:status=400",
        "HELIOGRAPH_GROQ_BASE_URL": fake_provider.url,
        "HELIOGRAPH_GROQ_API_KEY": "gsk-fake-behaviour:status=500",
        "HELIOGRAPH_MAX_GATEWAY_BODY_BYTES": "4096",
    }
    app = InProcessServer(tmp_path_factory.mktemp("shapes") / "data", fake_provider.url, env=env)
    app.start()
    yield app
    app.stop()


def assert_envelope(response: httpx.Response) -> None:
    assert response.status_code >= 400, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"] and body["data"] is None, body
    extra = set(body) - {"data", "error"}
    if "hqlError" in body:  # HQL's coded errors, also apart (Jawn's "[code] message")
        assert response.request.url.path.startswith("/v1/helicone-sql"), body
        assert set(body["hqlError"]) == {"code", "message"}, body
        assert body["error"] == "[{code}] {message}".format(**body["hqlError"]), body
        extra -= {"hqlError"}
    if "trace" in body:  # Jawn's 401 for a key it does not know
        assert response.status_code == 401 and body["trace"] == "isAuthenticated.error", body
        extra -= {"trace"}
    assert not extra, body


def assert_openai_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == OPENAI_ERROR_KEYS, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["param"] is None
    assert error["code"] is None or isinstance(error["code"], str), error


def rest_routes(server: InProcessServer) -> list[tuple[str, str]]:
    """Every documented route, as (method, path with each parameter a plain word)."""
    assert server.app is not None
    paths = server.app._api.openapi()["paths"]
    return [
        (method.upper(), path.replace("{", "").replace("}", ""))
        for path, operations in paths.items()
        for method in operations
    ]


def test_every_rest_route_refuses_a_missing_or_wrong_key_in_the_envelope(server: InProcessServer):
    checked = 0
    for method, path in rest_routes(server):
        if path in PUBLIC or path.startswith("/v1/log/") or path == "/v1/trace/custom/log":
            continue
        url = path.replace("request_id", str(uuid.uuid4()))
        for headers in ({}, {"Authorization": "Bearer sk-helicone-not-a-key"}):
            response = server.request(method, url, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert_envelope(response)
            # As Jawn's auth middleware: a wrong key adds the trace, a missing one does not.
            assert ("trace" in response.json()) == bool(headers), (method, path, headers)
        checked += 1
    assert checked > 40


def test_every_rest_route_taking_a_body_refuses_broken_json_in_the_envelope(
    server: InProcessServer,
):
    key = {"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"}
    checked = 0
    for method, path in rest_routes(server):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        url = path.replace("request_id", str(uuid.uuid4()))
        response = server.request(method, url, content=b'{"broken', headers=key)
        if response.status_code < 400:
            continue  # a route that reads no body
        assert response.status_code in (400, 404), (method, path, response.text)
        assert_envelope(response)
        checked += 1
    assert checked > 20


def test_unknown_paths_are_in_the_envelope(server: InProcessServer):
    assert_envelope(server.request("GET", "/v1/no-such-route"))


def test_passthrough_errors_are_openai_errors_as_provider_sdks_read_them(server: InProcessServer):
    unauthenticated = server.request("POST", "/openai/v1/chat/completions", json=CHAT)
    assert_openai_error(unauthenticated, 401)
    no_target = server.request(
        "POST", "/gateway/v1/chat/completions", json=CHAT, headers=server.auth
    )
    assert_openai_error(no_target, 400)


def gateway(server: InProcessServer, body: Any = None, key: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    if body is not None:
        kw["json"] = body
    return server.request("POST", "/v1/chat/completions", headers=headers, **kw)


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"body": CHAT, "key": "sk-helicone-nope"}, 401),
        ({"content": b"{not json"}, 400),
        ({"body": {"model": "gpt-4o-mini"}}, 400),
        ({"body": {**CHAT, "model": "gpt-4o-mini/nope"}}, 400),
        ({"content": b'{"model": "' + b"x" * 5000 + b'"}'}, 413),
    ],
    ids=["bad-key", "not-json", "no-messages", "unknown-provider", "too-large"],
)
def test_the_gateway_s_own_errors_are_openai_errors(
    server: InProcessServer, request_kwargs: dict[str, Any], status: int
):
    assert_openai_error(gateway(server, **request_kwargs), status)


@pytest.mark.parametrize(
    ("model", "status"),
    [
        ("gpt-4o-mini/openai", 429),  # OpenAI's own error body, passed through
        ("claude-3-5-sonnet-20240620/anthropic", 429),  # translated from Anthropic's
        ("gemini-2.0-flash/google", 400),  # translated from Google's
        ("llama-3.1-8b-instant/groq", 500),  # an OpenAI-compatible provider's
    ],
)
def test_translated_provider_errors_have_the_same_shape(
    server: InProcessServer, model: str, status: int
):
    assert_openai_error(gateway(server, {**CHAT, "model": model}), status)


@pytest.mark.parametrize("status", [408, 413, 414, 431, 503])
def test_refusals_at_the_edge_are_openai_errors(status: int):
    _head, _, body = refusal(status, "refused").partition(b"\r\n\r\n")
    assert_openai_error(httpx.Response(status, content=body), status)

"""Helicone headers beyond the core set, end to end through the in-process gateway."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from heliograph.costs.catalog import PriceCatalog
from heliograph.gateway.guard import CallPolicies
from heliograph.gateway.intake import Intake
from heliograph.gateway.proxy import Passthrough, PassthroughPlan, _fallbacks
from heliograph.gateway.retry import RetryLimits
from heliograph.gateway.routes import ProxyRoute
from heliograph.helicone_headers import parse_headers
from heliograph.meta.keys import Principal
from heliograph.mock_provider import FakeProvider
from tests.gateway.conftest import gateway_env
from tests.inprocess import InProcessServer

CHAT = "/openai/v1/chat/completions"


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def body(tag: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": tag}], **extra}


def post(server: InProcessServer, payload: dict[str, Any], **headers: str) -> httpx.Response:
    with server.client() as client:
        return client.post(CHAT, headers={**server.auth, **headers}, json=payload)


def upstream(fake: FakeProvider, tag: str) -> list[Any]:
    return [call for call in fake.calls if tag.encode() in call.body]


def test_helicone_cache_control_sets_the_ttl(server: InProcessServer, fake_provider: FakeProvider):
    tag = f"cache-control {uuid.uuid4()}"
    headers = {"Helicone-Cache-Enabled": "true", "Helicone-Cache-Control": "max-age=1"}
    assert post(server, body(tag), **headers).headers["helicone-cache"] == "MISS"
    assert post(server, body(tag), **headers).headers["helicone-cache"] == "HIT"
    time.sleep(1.2)
    assert post(server, body(tag), **headers).headers["helicone-cache"] == "MISS"
    calls = upstream(fake_provider, tag)
    assert len(calls) == 2
    assert "helicone-cache-control" not in calls[0].headers


def test_helicone_cache_control_wins_over_cache_control(server: InProcessServer):
    tag = f"cache-control-both {uuid.uuid4()}"
    answer = post(
        server,
        body(tag),
        **{
            "Helicone-Cache-Enabled": "true",
            "Cache-Control": "max-age=never",
            "Helicone-Cache-Control": "max-age=60",
        },
    )
    assert answer.status_code == 200, answer.text


def test_bad_helicone_cache_control_is_a_400(server: InProcessServer):
    answer = post(
        server,
        body("bad cache control"),
        **{"Helicone-Cache-Enabled": "true", "Helicone-Cache-Control": "max-age=soon"},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "message": "Cache-Control max-age must be seconds, not 'soon'",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_cache_experiment_prompt_and_node_headers_are_stored_as_properties(server: InProcessServer):
    answer = post(
        server,
        body(f"cache properties {uuid.uuid4()}"),
        **{
            "Helicone-Cache-Enabled": "true",
            "Helicone-Cache-Seed": "42",
            "Helicone-Cache-Bucket-Max-Size": "3",
            "Helicone-Cache-Control": "max-age=600",
            "Helicone-Experiment-Id": "exp-1",
            "Helicone-Prompt-Name": "story teller",
            "Helicone-Prompt-Format": "true",
            "Helicone-Node-Id": "node-7",
            "Helicone-Property-App": "mobile",
        },
    )
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert row["properties"] == {
        "App": "mobile",
        "Helicone-Cache-Enabled": "true",
        "Helicone-Cache-Seed": "42",
        "Helicone-Cache-Bucket-Max-Size": "3",
        "Helicone-Cache-Control": "max-age=600",
        "Helicone-Experiment-Id": "exp-1",
        "Helicone-Prompt-Name": "story teller",
        "Helicone-Prompt-Format": "true",
        "Helicone-Node-Id": "node-7",
    }


def test_cache_headers_helicone_does_not_store_are_not_stored(server: InProcessServer):
    # Helicone reads the seed and bucket size with parseInt and stores them when not 0, and
    # the enabled flag only when true; Cache-Control itself is not a property.
    answer = post(
        server,
        body(f"cache properties off {uuid.uuid4()}"),
        **{
            "Helicone-Cache-Enabled": "false",
            "Helicone-Cache-Seed": "user-123",
            "Helicone-Cache-Bucket-Max-Size": "0",
            "Cache-Control": "max-age=600",
        },
    )
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert row["properties"] == {}


@pytest.mark.parametrize(
    ("mode", "logged_id"),
    [(None, "legacy-story"), ("production", "legacy-story"), ("Testing", ""), ("deactivated", "")],
)
def test_prompt_version_and_mode_are_logged_as_helicone_logs_them(
    server: InProcessServer, mode: str | None, logged_id: str
):
    headers = {"Helicone-Prompt-Id": "legacy-story", "Helicone-Prompt-Version": "v7"}
    if mode is not None:
        headers["Helicone-Prompt-Mode"] = mode
    answer = post(server, body(f"prompt mode {uuid.uuid4()}"), **headers)
    assert answer.status_code == 200, answer.text
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["prompt_id"], row["prompt_version"]) == (logged_id, "v7")
    assert row["properties"] == {"Helicone-Prompt-Id": "legacy-story"}


def test_unknown_prompt_mode_is_a_400(server: InProcessServer, fake_provider: FakeProvider):
    tag = f"prompt mode bad {uuid.uuid4()}"
    answer = post(server, body(tag), **{"Helicone-Prompt-Mode": "staging"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "Helicone-Prompt-Mode must be one of production, testing, deactivated"
    )
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert upstream(fake_provider, tag) == []


def sse_chunks(answer: httpx.Response) -> list[dict[str, Any]]:
    lines = answer.text.splitlines()
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


@pytest.mark.parametrize("wanted", ["true", "false"])
def test_stream_usage_hands_the_client_the_usage_chunk(
    server: InProcessServer, fake_provider: FakeProvider, wanted: str
):
    tag = f"stream usage {uuid.uuid4()}"
    answer = post(
        server,
        body(tag, stream=True),
        **{"Helicone-Stream-Usage": wanted, "x-fake-behaviour": "words=6"},
    )
    assert answer.status_code == 200, answer.text
    usage = [chunk["usage"] for chunk in sse_chunks(answer) if chunk.get("usage")]
    assert [u["completion_tokens"] for u in usage] == ([6] if wanted == "true" else [])
    assert upstream(fake_provider, tag)[0].json()["stream_options"] == {"include_usage": True}
    assert server.wait_for_request(answer.headers["helicone-id"])["completion_tokens"] == 6


def test_stream_usage_leaves_a_call_that_is_not_a_stream_alone(
    server: InProcessServer, fake_provider: FakeProvider
):
    # Helicone adds stream_options to any body; OpenAI refuses it without `stream: true`.
    tag = f"stream usage, no stream {uuid.uuid4()}"
    answer = post(server, body(tag), **{"Helicone-Stream-Usage": "true"})
    assert answer.status_code == 200, answer.text
    assert "stream_options" not in upstream(fake_provider, tag)[0].json()


def test_increase_timeout_outwaits_the_read_timeout(start_server: Any, fake_provider: FakeProvider):
    # Upstream answers after 0.9 s: the passthrough asks so in a header, the unified
    # gateway's OpenAI key says so (the fake reads behaviour from either).
    slow = start_server(
        env=gateway_env(
            fake_provider,
            HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S="0.3",
            HELIOGRAPH_OPENAI_API_KEY="sk-fake-behaviour:delay_ms=900",
        )
    )
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "slow"}]}
    for path, headers in (
        ("/openai/v1/chat/completions", {**slow.auth, "x-fake-behaviour": "delay_ms=900"}),
        ("/v1/chat/completions", {"Authorization": f"Bearer {slow.api_key}"}),
    ):
        timed_out = httpx.post(slow.url + path, headers=headers, json=chat, timeout=30)
        assert timed_out.status_code == 504, (path, timed_out.text)
        longer = {**headers, "Helicone-Increase-Timeout": "true"}
        waited = httpx.post(slow.url + path, headers=longer, json=chat, timeout=30)
        assert waited.status_code == 200, (path, waited.text)


def test_target_provider_names_an_unknown_target(
    server: InProcessServer, fake_provider: FakeProvider
):
    with server.client() as client:
        answer = client.post(
            "/gateway/v1/chat/completions",
            headers={
                **server.auth,
                "Helicone-Target-Url": fake_provider.url,
                "Helicone-Target-Provider": "LemonFox",
            },
            json=body(f"target provider {uuid.uuid4()}"),
        )
        too_long = client.post(
            "/gateway/v1/chat/completions",
            headers={
                **server.auth,
                "Helicone-Target-Url": fake_provider.url,
                "Helicone-Target-Provider": "x" * 65,
            },
            json=body("target provider too long"),
        )
    assert answer.status_code == 200, answer.text
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert row["provider"] == "LemonFox" and row["completion_tokens"] > 0
    assert too_long.status_code == 400
    assert too_long.json()["error"]["message"] == (
        "Helicone-Target-Provider is at most 64 characters"
    )


def test_openai_api_base_sends_the_openai_route_elsewhere(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"api base {uuid.uuid4()}"
    dead = "http://127.0.0.1:9"  # allowed by the tests' outbound settings; nothing listens
    answer = post(server, body(tag), **{"Helicone-OpenAI-Api-Base": dead + "/ignored/path"})
    assert answer.status_code == 502, answer.text
    assert answer.json()["error"]["message"].startswith(
        "Could not reach upstream http://127.0.0.1:9/v1/chat/completions"
    )
    assert upstream(fake_provider, tag) == []
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["provider"], row["target_url"]) == ("OPENAI", dead + "/v1/chat/completions")


@pytest.mark.parametrize(
    ("api_base", "status", "message"),
    [
        ("http://10.1.2.3", 403, "The target URL is not allowed by this server's outbound policy"),
        (
            "http://169.254.169.254",
            403,
            "The target URL is not allowed by this server's outbound policy",
        ),
        ("ftp://example.com", 400, "Helicone-OpenAI-Api-Base: the URL must start with http://"),
        ("https://user:pw@example.com", 400, "Helicone-OpenAI-Api-Base: credentials"),
    ],
)
def test_openai_api_base_obeys_the_outbound_policy(
    server: InProcessServer, api_base: str, status: int, message: str
):
    answer = post(server, body("api base refused"), **{"Helicone-OpenAI-Api-Base": api_base})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"].startswith(message), answer.text


def test_openai_api_base_of_an_azure_resource_is_logged_as_azure():
    # No test reaches Azure: the call is planned, not sent.
    sent = [(b"helicone-openai-api-base", b"https://my-resource.openai.azure.com/")]
    intake = Intake(
        0.0,
        parse_headers({"headers": sent}),
        Principal("org", "key"),
        b'{"messages": []}',
        CallPolicies(None, None),
        None,
        [],
        "request-id",
    )
    route = ProxyRoute("OPENAI", "https://api.openai.com", "/openai/deployments/gpt-4o/chat")
    routes = Passthrough(None, PriceCatalog.load_default(), RetryLimits())  # type: ignore[arg-type]
    plan = PassthroughPlan(
        routes, route, intake, "POST", _fallbacks(route, intake.headers), route.upstream_path
    )
    call = plan.open()
    assert call.provider == "AZURE"
    assert call.target_url == "https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat"

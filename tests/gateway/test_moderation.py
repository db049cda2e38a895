"""Helicone-Moderations-Enabled: the latest user message checked by OpenAI's moderation
endpoint (the fake's /v1/moderations) before the call, on the unified gateway and the
passthrough proxy; flagged calls refused 400 and logged, never sent; `moderation_fail` at its
default (`closed`) here, `open` in test_moderation_fail_open.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.recording import Call
from tests.api.async_log_helpers import example, post_log
from tests.conftest import SHARED_SETTINGS
from tests.gateway.conftest import gateway_env
from tests.inprocess import InProcessServer

ON = {"Helicone-Moderations-Enabled": "true"}
SERVER_OPENAI_KEY = "Bearer sk-openai-upstream"  # gateway_env's HELIOGRAPH_OPENAI_API_KEY
PASSTHROUGH = "/openai/v1/chat/completions"
# The cURL example's body, as printed on Helicone's moderations page.
DOCUMENTED_BODY = """{
    "model": "gpt-4o-mini",
    "messages": [
      {
        "role": "user",
        "content": "How do I enable moderations?"
      }
    ]
  }"""


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    env = gateway_env(fake_provider, **SHARED_SETTINGS, HELIOGRAPH_MODERATION_TIMEOUT_S="0.5")
    app = InProcessServer(
        tmp_path_factory.mktemp("moderation") / "data", fake_provider.url, env=env
    )
    app.start()
    yield app
    app.stop()


def chat(tag: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": tag}], **extra}


def gateway(
    server: InProcessServer, body: Any, key: str | None = None, **headers: str
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {key or server.api_key}"}
    with server.client() as client:
        return client.post("/v1/chat/completions", json=body, headers={**auth, **ON, **headers})


def passthrough(
    server: InProcessServer, body: Any, provider_key: str, path: str = PASSTHROUGH
) -> httpx.Response:
    headers = {**server.auth, **ON, "Authorization": f"Bearer {provider_key}"}
    with server.client() as client:
        return client.post(path, json=body, headers=headers)


def sent(fake: FakeProvider, tag: str) -> tuple[list[Call], list[Call]]:
    """The moderation checks and the other calls the fake received carrying `tag`."""
    calls = [c for c in fake.calls if tag.encode() in c.body]
    checks = [c for c in calls if c.path == "/v1/moderations"]
    return checks, [c for c in calls if c.path != "/v1/moderations"]


def test_the_documented_python_example(server: InProcessServer, fake_provider: FakeProvider):
    tag = f"How do I enable moderations? {uuid.uuid4()}"
    client = openai.OpenAI(
        base_url=server.url,  # was https://ai-gateway.helicone.ai
        api_key=server.api_key,  # was os.getenv("HELICONE_API_KEY")
        http_client=server.client(),
        max_retries=0,
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": tag}],
        extra_headers={"Helicone-Moderations-Enabled": "true"},
    )
    assert raw.parse().choices[0].message.content
    checks, calls = sent(fake_provider, tag)
    assert [c.json() for c in checks] == [{"input": tag}]
    assert checks[0].headers["authorization"] == SERVER_OPENAI_KEY
    assert len(calls) == 1 and fake_provider.calls.index(checks[0]) < fake_provider.calls.index(
        calls[0]
    )
    row = server.wait_for_request(raw.headers["helicone-id"])
    assert (row["moderation"], row["moderation_categories"], row["response_status"]) == (
        "clean",
        [],
        200,
    )


def test_the_documented_curl_example(server: InProcessServer, fake_provider: FakeProvider):
    tag = f"How do I enable moderations? {uuid.uuid4()}"
    with server.client() as client:  # curl https://ai-gateway.helicone.ai/chat/completions ...
        answer = client.post(
            "/chat/completions",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {server.api_key}",
                "Helicone-Moderations-Enabled": "true",
            },
            content=DOCUMENTED_BODY.replace("How do I enable moderations?", tag),
        )
    assert answer.status_code == 200, answer.text
    checks, calls = sent(fake_provider, tag)
    assert len(checks) == 1 and len(calls) == 1
    assert server.wait_for_request(answer.headers["helicone-id"])["moderation"] == "clean"


def test_a_flagged_prompt_is_refused_logged_and_never_sent(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"flagged {uuid.uuid4()} flag:violence flag:hate"
    answer = gateway(server, chat(tag), **{"Helicone-Property-App": "chat"})
    request_id = answer.headers["helicone-id"]
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "success": False,
        "error": {
            "code": "PROMPT_FLAGGED_FOR_MODERATION",
            "message": "The given prompt was flagged by the OpenAI Moderation endpoint.",
            "details": f"See your Heliograph request page for more info: request {request_id}",
        },
    }
    checks, calls = sent(fake_provider, tag)
    assert len(checks) == 1 and calls == []
    row = server.wait_for_request(request_id)
    assert row["moderation"] == "flagged"
    assert row["moderation_categories"] == ["hate", "violence"]
    assert row["response_status"] == 400
    assert row["request_properties"] == {"App": "chat"}
    assert row["response_body"]["error"]["code"] == "PROMPT_FLAGGED_FOR_MODERATION"
    assert row["request_body"]["messages"][0]["content"] == tag


def test_only_the_latest_message_is_checked_and_only_when_it_is_the_users(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"latest {uuid.uuid4()}"
    earlier = {"role": "user", "content": f"{tag} flag:violence"}
    body = {"model": "gpt-4o-mini", "messages": [earlier, {"role": "user", "content": tag}]}
    assert gateway(server, body).status_code == 200
    checks, _ = sent(fake_provider, tag)
    assert [c.json()["input"] for c in checks] == [tag]
    reply = {"role": "assistant", "content": f"{tag} flag:violence"}
    answer = gateway(server, {**body, "messages": [earlier, reply]})
    assert answer.status_code == 200
    assert server.wait_for_request(answer.headers["helicone-id"])["moderation"] == ""


def test_content_parts_are_checked_text_and_images(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"parts {uuid.uuid4()}"
    parts = [
        {"type": "text", "text": f"{tag} flag:self-harm"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    answer = gateway(
        server, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": parts}]}
    )
    assert answer.status_code == 400
    checks, calls = sent(fake_provider, tag)
    assert checks[0].json() == {"input": parts} and calls == []


def test_a_flagged_stream_is_refused_before_its_first_byte(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"stream {uuid.uuid4()} flag:harassment"
    answer = gateway(server, chat(tag, stream=True))
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == "PROMPT_FLAGGED_FOR_MODERATION"
    assert sent(fake_provider, tag)[1] == []
    clean = f"stream {uuid.uuid4()}"
    answer = gateway(server, chat(clean, stream=True))
    assert answer.status_code == 200 and answer.text.rstrip().endswith("data: [DONE]")
    checks, calls = sent(fake_provider, clean)
    assert fake_provider.calls.index(checks[0]) < fake_provider.calls.index(calls[0])
    assert server.wait_for_request(answer.headers["helicone-id"])["moderation"] == "clean"


def test_the_passthrough_checks_with_the_callers_own_openai_key(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"passthrough {uuid.uuid4()}"
    answer = passthrough(server, chat(tag), "sk-callers-own")
    assert answer.status_code == 200
    checks, calls = sent(fake_provider, tag)
    assert checks[0].headers["authorization"] == "Bearer sk-callers-own" and len(calls) == 1
    assert server.api_key not in str(checks[0].headers)
    flagged = f"passthrough {uuid.uuid4()} flag:illicit"
    answer = passthrough(server, chat(flagged), "sk-callers-own")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "PROMPT_FLAGGED_FOR_MODERATION"
    assert sent(fake_provider, flagged)[1] == []
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["moderation"], row["provider"], row["response_status"]) == (
        "flagged",
        "OPENAI",
        400,
    )


def test_the_passthrough_leaves_other_providers_unchecked(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"anthropic {uuid.uuid4()} flag:violence"
    body = {"max_tokens": 10, **chat(tag), "model": "claude-3-5-sonnet-20241022"}
    answer = passthrough(server, body, "sk-ant-own", "/anthropic/v1/messages")
    assert answer.status_code == 200
    checks, calls = sent(fake_provider, tag)
    assert checks == [] and len(calls) == 1
    assert server.wait_for_request(answer.headers["helicone-id"])["moderation"] == ""


@pytest.mark.parametrize(
    ("provider_key", "reason"),
    [
        ("sk-own-fake-behaviour:moderation_status=500", "it answered 500"),
        ("sk-own-fake-behaviour:moderation_delay_ms=3000", "no answer within 0.5 s"),
        ("sk-own-fake-behaviour:invalid_json", "its answer has no results"),
    ],
)
def test_a_failed_check_refuses_the_call_when_closed(
    server: InProcessServer, fake_provider: FakeProvider, provider_key: str, reason: str
):
    tag = f"failed {uuid.uuid4()}"
    answer = passthrough(server, chat(tag), provider_key)
    assert answer.status_code == 503
    assert answer.json()["error"]["type"] == "service_unavailable_error"
    message = answer.json()["error"]["message"]
    assert reason in message and "moderation_fail = closed" in message
    assert provider_key not in answer.text
    assert sent(fake_provider, tag)[1] == []
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["moderation"], row["response_status"]) == ("error_blocked", 503)
    assert reason in row["response_body"]["heliograph_error"]
    assert provider_key not in str(row)


def test_a_passthrough_call_without_an_openai_key_cannot_be_checked(server: InProcessServer):
    headers = {**server.auth, **ON}
    with server.client() as client:
        answer = client.post(PASSTHROUGH, json=chat(f"no key {uuid.uuid4()}"), headers=headers)
    assert answer.status_code == 503
    assert "no Authorization for OpenAI" in answer.json()["error"]["message"]


def test_each_organization_checks_with_its_own_openai_key(
    server: InProcessServer, fake_provider: FakeProvider
):
    own, other = server.new_organization("moderated"), server.new_organization("neighbour")
    with server.api(own) as api:
        added = api.post("/v1/provider-keys", json={"provider": "openai", "key": "sk-org-own"})
        assert added.status_code == 200, added.text
    tags = {key: f"tenant {uuid.uuid4()} flag:violence" for key in (own, other)}
    answers = {key: gateway(server, chat(tag), key=key) for key, tag in tags.items()}
    assert sent(fake_provider, tags[own])[0][0].headers["authorization"] == "Bearer sk-org-own"
    assert sent(fake_provider, tags[other])[0][0].headers["authorization"] == SERVER_OPENAI_KEY
    own_id = answers[own].headers["helicone-id"]
    assert server.wait_for_request(own_id, own)["moderation"] == "flagged"
    with server.api(other) as api:
        assert api.get(f"/v1/request/{own_id}").status_code == 404
    other_id = answers[other].headers["helicone-id"]
    server.wait_for_request(other_id, other)
    assert flagged_ids(server, other) == [other_id]


def flagged_ids(server: InProcessServer, key: str) -> list[str]:
    query = {"filter": {"request_response_rmt": {"moderation": {"equals": "flagged"}}}}
    with server.api(key) as api:
        found = api.post("/v1/request/query-clickhouse", json=query)
    assert found.status_code == 200, found.text
    return [row["request_id"] for row in found.json()["data"]]


def test_async_logs_are_never_checked(server: InProcessServer, fake_provider: FakeProvider):
    tag = f"async {uuid.uuid4()} flag:violence"
    body = example()
    body["providerRequest"]["json"]["messages"][0]["content"] = tag
    body["providerRequest"]["meta"] = {"Helicone-Moderations-Enabled": "true"}
    answer = post_log(server, body, headers=ON)
    assert answer.status_code == 200, answer.text
    assert sent(fake_provider, tag) == ([], [])
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["moderation"], row["response_status"]) == ("", 200)

"""The passthrough proxy end to end: real server, real SDKs, the fake provider upstream."""

from __future__ import annotations

import json
import uuid

import anthropic
import httpx
import openai
import pytest

from heliograph.costs.catalog import PriceCatalog
from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess

PROMPT = "Say something about mirrors and the sun."


def prompt_tokens(text: str) -> int:
    return len(text) // 4 + 1  # the fake provider's documented formula


def expected_cost(provider: str, model: str, prompt: int, completion: int) -> float:
    price = PriceCatalog.load_default().price_for(provider, model)
    assert price is not None
    return round((prompt * price.input + completion * price.output) * 1e9) / 1e9


def openai_client(server: HeliographProcess, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-provider-key-for-upstream",
        base_url=server.url + "/openai/v1",
        default_headers={**server.auth, **headers},
        max_retries=0,
    )


def test_openai_chat_is_relayed_and_logged(server: HeliographProcess, fake_provider: FakeProvider):
    request_id = str(uuid.uuid4())
    client = openai_client(server, **{"Helicone-Property-Environment": "production"})
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers={"Helicone-Request-Id": request_id, "Helicone-User-Id": "alice"},
    )
    completion = raw.parse()
    assert raw.headers["helicone-id"] == request_id
    assert completion.usage.prompt_tokens == prompt_tokens(PROMPT)

    upstream = [c for c in fake_provider.calls if c.headers.get("helicone-request-id") is None]
    sent = next(c for c in reversed(upstream) if c.path == "/v1/chat/completions")
    assert sent.headers["authorization"] == "Bearer sk-provider-key-for-upstream"
    assert not any(name.startswith("helicone-") for name in sent.headers)

    row = server.wait_for_request(request_id)
    assert row["request_id"] == request_id
    assert row["response_status"] == 200
    assert row["provider"] == "OPENAI"
    assert row["request_model"] == "gpt-4o-mini"
    assert row["request_user_id"] == "alice"
    # The openai SDK lower-cases every header name it sends; the key is stored as sent.
    assert row["request_properties"] == {"environment": "production"}
    assert row["prompt_tokens"] == prompt_tokens(PROMPT)
    assert row["completion_tokens"] == completion.usage.completion_tokens
    assert row["total_tokens"] == row["prompt_tokens"] + row["completion_tokens"]
    assert row["cost"] == pytest.approx(
        expected_cost("OPENAI", "gpt-4o-mini", row["prompt_tokens"], row["completion_tokens"])
    )
    assert row["request_body"]["messages"][0]["content"] == PROMPT
    assert row["response_body"]["choices"][0]["message"]["content"] == (
        completion.choices[0].message.content
    )
    assert row["target_url"].endswith("/v1/chat/completions")
    assert row["storage_location"] == "clickhouse"
    assert row["delay_ms"] >= 0


def test_openai_stream_records_usage_without_showing_the_extra_chunk(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    client = openai_client(server)
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        extra_headers={"Helicone-Request-Id": request_id, "x-fake-behaviour": "chunks=5,words=10"},
    )
    chunks = list(stream)
    assert all(chunk.usage is None for chunk in chunks), "client did not ask for usage"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    row = server.wait_for_request(request_id)
    assert row["prompt_tokens"] == prompt_tokens(PROMPT)
    assert row["completion_tokens"] == 10
    assert row["time_to_first_token"] is not None
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    assert row["response_body"]["streamed_data"][-1] == "[DONE]"
    assert row["cost"] > 0


def test_openai_stream_keeps_usage_chunk_when_client_asked(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    stream = openai_client(server).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"Helicone-Request-Id": request_id, "x-fake-behaviour": "words=7"},
    )
    usage = [chunk.usage for chunk in stream if chunk.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens == 7
    assert server.wait_for_request(request_id)["completion_tokens"] == 7


def test_openai_cached_and_reasoning_tokens(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    openai_client(server).chat.completions.create(
        model="o3-mini",
        messages=[{"role": "user", "content": "x" * 400}],
        extra_headers={
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "cached_tokens=64,reasoning_tokens=12",
        },
    )
    row = server.wait_for_request(request_id)
    assert row["prompt_cache_read_tokens"] == 64
    assert row["reasoning_tokens"] == 12


def test_anthropic_messages_and_stream(server: HeliographProcess):
    client = anthropic.Anthropic(
        api_key="sk-ant-provider-key",
        base_url=server.url + "/anthropic",
        default_headers=server.auth,
        max_retries=0,
    )
    plain_id, stream_id = str(uuid.uuid4()), str(uuid.uuid4())
    message = client.messages.create(
        model="claude-3-5-sonnet-20241022",
        max_tokens=100,
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers={
            "Helicone-Request-Id": plain_id,
            "x-fake-behaviour": "cache_read=40,cache_write=8",
        },
    )
    with client.messages.stream(
        model="claude-3-5-sonnet-20241022",
        max_tokens=100,
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers={"Helicone-Request-Id": stream_id},
    ) as stream:
        final = stream.get_final_message()

    plain = server.wait_for_request(plain_id)
    assert plain["provider"] == "ANTHROPIC"
    assert plain["prompt_tokens"] == message.usage.input_tokens + 40 + 8
    assert plain["prompt_cache_read_tokens"] == 40
    assert plain["prompt_cache_write_tokens"] == 8
    assert plain["completion_tokens"] == message.usage.output_tokens

    streamed = server.wait_for_request(stream_id)
    assert streamed["completion_tokens"] == final.usage.output_tokens
    assert streamed["prompt_tokens"] == final.usage.input_tokens
    assert streamed["response_body"]["content"][0]["text"] == final.content[0].text
    assert streamed["time_to_first_token"] is not None
    assert streamed["cost"] == pytest.approx(
        expected_cost(
            "ANTHROPIC",
            "claude-3-5-sonnet-20241022",
            streamed["prompt_tokens"],
            streamed["completion_tokens"],
        )
    )


def test_generic_gateway_forwards_path_query_and_headers(
    server: HeliographProcess, fake_provider: FakeProvider
):
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/gateway/anything/deep/path?x=1&y=two",
        headers={
            **server.auth,
            "Helicone-Target-Url": fake_provider.url,
            "Helicone-Request-Id": request_id,
            "Helicone-Property-Team": "search",
            "X-Custom": "kept",
            "Authorization": "Bearer upstream-secret",
        },
        content=b'{"model": "my-local-model", "input": 1}',
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/anything/deep/path"
    assert echoed["query"] == "x=1&y=two"
    assert echoed["headers"]["x-custom"] == "kept"
    assert echoed["headers"]["authorization"] == "Bearer upstream-secret"
    assert not [h for h in echoed["headers"] if h.startswith("helicone-")]
    assert json.loads(echoed["body"]) == {"model": "my-local-model", "input": 1}
    row = server.wait_for_request(request_id)
    assert row["target_url"] == fake_provider.url + "/anything/deep/path?x=1&y=two"
    assert row["request_properties"] == {"Team": "search"}
    assert row["request_model"] == "my-local-model"
    assert row["cost"] == 0


def test_gateway_without_target_url_is_a_clear_400(server: HeliographProcess):
    response = httpx.post(server.url + "/gateway/v1/chat/completions", headers=server.auth, json={})
    assert response.status_code == 400
    error = response.json()["error"]  # OpenAI's error object: what provider SDKs read
    assert error["message"] == "The /gateway route needs a Helicone-Target-Url header"
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize("auth", [None, "Bearer sk-helicone-wrong", "Basic abc", "Bearer"])
def test_missing_or_bad_key_is_401_and_nothing_goes_upstream(
    server: HeliographProcess, fake_provider: FakeProvider, auth: str | None
):
    before = len(fake_provider.calls)
    headers = {"Helicone-Auth": auth} if auth is not None else {}
    response = httpx.post(server.url + "/openai/v1/chat/completions", headers=headers, json={})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert "Helicone-Auth" in response.json()["error"]["message"]
    assert len(fake_provider.calls) == before


def test_invalid_request_id_header_gets_a_fresh_uuid(server: HeliographProcess):
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": "req_123abc"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assigned = response.headers["helicone-id"]
    assert uuid.UUID(assigned) and assigned != "req_123abc"
    assert server.wait_for_request(assigned)["response_status"] == 200


def test_upstream_error_passes_through_and_is_logged(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "status=429",
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "rate_limit_error" or response.json()["error"]
    row = server.wait_for_request(request_id)
    assert row["response_status"] == 429
    assert row["response_body"] == response.json()
    assert row["cost"] == 0


def test_invalid_json_body_is_forwarded_as_is_and_logged(
    server: HeliographProcess, fake_provider: FakeProvider
):
    request_id = str(uuid.uuid4())
    body = b'{"model": "gpt-4o-mini", "messages": [oops'
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "Content-Type": "application/json",
        },
        content=body,
    )
    assert response.status_code == 400
    assert any(call.body == body for call in fake_provider.calls)
    row = server.wait_for_request(request_id)
    assert row["response_status"] == 400
    assert row["request_body"] == body.decode()
    assert row["request_model"] == ""


def test_five_megabyte_body(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    content = "a" * (5 * 1024 * 1024)
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] == prompt_tokens(content)
    row = server.wait_for_request(request_id)
    assert row["prompt_tokens"] == prompt_tokens(content)
    assert len(row["request_body"]["messages"][0]["content"]) == len(content)
    assert row["size_bytes"] > 5 * 1024 * 1024


def test_omit_request_and_response(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "Helicone-Omit-Request": "true",
            "Helicone-Omit-Response": "true",
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "secret"}]},
    )
    row = server.wait_for_request(request_id)
    assert row["request_body"] == {} and row["response_body"] == {}
    assert row["prompt_tokens"] == prompt_tokens("secret")
    assert row["request_model"] == "gpt-4o-mini"


def test_user_id_falls_back_to_body_user(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={
            "model": "gpt-4o-mini",
            "user": "body-user",
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert server.wait_for_request(request_id)["request_user_id"] == "body-user"


def test_slow_first_byte_shows_in_ttft(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    with httpx.stream(
        "POST",
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "delay_ms=300",
        },
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        body = response.read()
    assert body.rstrip().endswith(b"data: [DONE]")
    row = server.wait_for_request(request_id)
    assert row["time_to_first_token"] >= 300
    assert row["delay_ms"] >= row["time_to_first_token"]


def test_stream_cut_by_upstream_is_logged_with_what_arrived(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    with httpx.stream(
        "POST",
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "cut_after=3",
        },
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        body = response.read()
    assert b"[DONE]" not in body
    row = server.wait_for_request(request_id)
    assert "upstream stream broke off" in row["response_body"]["heliograph_error"]
    streamed = row["response_body"]["partial"]["streamed_data"]
    assert 1 <= len(streamed) < 20 and "[DONE]" not in streamed


def test_client_disconnect_mid_stream_is_logged_as_499(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    with httpx.stream(
        "POST",
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "chunks=50,chunk_delay_ms=100",
        },
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        next(response.iter_raw())  # first chunk, then hang up
    row = server.wait_for_request(request_id)
    assert row["response_status"] == 499
    assert row["response_body"]["heliograph_error"] == "client disconnected mid-stream"
    assert 1 <= len(row["response_body"]["partial"]["streamed_data"]) < 50


def test_unreachable_upstream_is_502_and_logged(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/gateway/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Target-Url": "http://127.0.0.1:9",
            "Helicone-Request-Id": request_id,
        },
        json={"model": "gpt-4o-mini"},
    )
    assert response.status_code == 502
    assert response.headers["helicone-id"] == request_id
    assert "Could not reach upstream" in response.json()["error"]["message"]
    assert server.wait_for_request(request_id)["response_status"] == 502


def test_jawn_style_gateway_path(server: HeliographProcess):
    response = httpx.post(
        server.url + "/v1/gateway/oai/v1/chat/completions",
        headers=server.auth,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]},
    )
    assert response.status_code == 200
    assert server.wait_for_request(response.headers["helicone-id"])["provider"] == "OPENAI"


def test_unknown_model_costs_zero_and_is_counted(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "totally-unknown-model-7", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200
    row = server.wait_for_request(request_id)
    assert row["cost"] == 0 and row["completion_tokens"] > 0
    counted = httpx.get(server.url + "/healthz").json()["unknown_cost_models"]
    assert counted["OPENAI/totally-unknown-model-7"] >= 1


def test_upstream_timeout_is_504_and_logged(start_server):
    server = start_server(env={"HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S": "0.3"})
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": "delay_ms=1500",
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 504
    assert response.json()["error"]["message"].startswith("Upstream timed out")
    row = server.wait_for_request(request_id)
    assert row["response_status"] == 504
    assert row["response_body"]["heliograph_error"].startswith("Upstream timed out")


def test_stream_force_format_keeps_the_stream_intact(server: HeliographProcess):
    request_id = str(uuid.uuid4())
    with httpx.stream(
        "POST",
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Request-Id": request_id,
            "Helicone-Stream-Force-Format": "true",
            "x-fake-behaviour": "chunks=5",
        },
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        pieces = list(response.iter_raw())
    assert all(piece.endswith(b"\n\n") for piece in pieces)
    assert b"".join(pieces).rstrip().endswith(b"data: [DONE]")
    assert server.wait_for_request(request_id)["completion_tokens"] > 0

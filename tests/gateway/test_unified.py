"""The unified gateway over HTTP: OpenAI-compatible endpoint, routing, fallbacks, errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import openai
import pytest

from heliograph.mock_provider import FakeProvider
from tests.gateway.conftest import gateway_env
from tests.server import HeliographProcess

Start = Callable[..., HeliographProcess]


def client(server: HeliographProcess, base: str = "/v1") -> openai.OpenAI:
    return openai.OpenAI(api_key=server.api_key, base_url=server.url + base, max_retries=0)


def test_chat_completion_through_the_gateway_is_logged(
    gateway: HeliographProcess, fake_provider: FakeProvider
):
    request_id = str(uuid.uuid4())
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello, how are you?"}],
        extra_headers={"Helicone-Request-Id": request_id, "Helicone-Property-App": "mobile"},
    )
    completion = raw.parse()
    assert raw.headers["helicone-id"] == request_id
    assert raw.headers["helicone-fallback-index"] == "0"
    assert completion.choices[0].message.content
    sent = [
        c
        for c in fake_provider.calls
        if c.headers.get("authorization") == "Bearer sk-openai-upstream"
    ]
    assert sent and sent[-1].json()["model"] == "gpt-4o-mini"
    assert gateway.api_key not in str(sent[-1].headers), "the Heliograph key never goes upstream"
    row = gateway.wait_for_request(request_id)
    assert row["provider"] == "OPENAI"
    assert row["request_model"] == "gpt-4o-mini"
    assert row["request_properties"] == {"app": "mobile"}
    assert row["completion_tokens"] == completion.usage.completion_tokens
    assert row["cost"] > 0


def test_streaming_without_v1_prefix_hides_the_usage_chunk(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    stream = client(gateway, base="").chat.completions.create(
        model="gpt-4o-mini/openai",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        extra_headers={"Helicone-Request-Id": request_id},
    )
    chunks = list(stream)
    assert all(chunk.usage is None for chunk in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    row = gateway.wait_for_request(request_id)
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    assert row["completion_tokens"] > 0 and row["time_to_first_token"] is not None


def test_pinned_provider_and_fallback_after_an_unreachable_target(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="gpt-4o-mini/dead,llama-3.1-8b-instant/groq",
        messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"Helicone-Request-Id": request_id},
    )
    assert raw.headers["helicone-fallback-index"] == "1"
    assert raw.parse().model == "llama-3.1-8b-instant"
    row = gateway.wait_for_request(request_id)
    assert row["provider"] == "GROQ" and row["request_model"] == "llama-3.1-8b-instant"


def test_twenty_deep_chain_reaches_the_last_target(gateway: HeliographProcess):
    chain = ",".join(f"model-{i}/dead" for i in range(19)) + ",gpt-4o-mini/openai"
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=chain, messages=[{"role": "user", "content": "Hello"}]
    )
    assert raw.headers["helicone-fallback-index"] == "19"


def test_every_target_failing_is_502_listing_attempts(gateway: HeliographProcess):
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).chat.completions.create(
            model="a/dead,b/dead", messages=[{"role": "user", "content": "Hello"}]
        )
    assert caught.value.status_code == 502
    message = caught.value.body["message"]
    assert "a/dead: unreachable" in message and "b/dead: unreachable" in message


@pytest.mark.parametrize(
    ("model", "status", "fragment"),
    [
        ("gpt-4o-minii", 400, "did you mean gpt-4o-mini"),
        ("", 400, "needs a 'model'"),
        ("!openai,gpt-4o-mini", 400, "Unknown model 'gpt-4o-mini'"),
        ("claude-3-5-sonnet-20241022", 401, "No API key configured for provider(s) anthropic"),
        (",,", 400, "model field is empty"),
    ],
)
def test_bad_model_strings_are_clear_errors_without_upstream_calls(
    gateway: HeliographProcess, fake_provider: FakeProvider, model: str, status: int, fragment: str
):
    before = len(fake_provider.calls)
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.api_key}"},
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]
    assert len(fake_provider.calls) == before


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"model": "gpt-4o-mini"}', "non-empty 'messages'"),
    ],
)
def test_bad_bodies_are_400_in_openai_shape(gateway: HeliographProcess, body: bytes, fragment: str):
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.api_key}", "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert fragment in error["message"] and error["type"] == "invalid_request_error"


def test_bad_key_is_401_in_openai_shape(gateway: HeliographProcess):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            api_key="sk-helicone-nope", base_url=gateway.url + "/v1", max_retries=0
        ).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


@pytest.fixture(scope="module")
def claude_gateway(fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory):
    server = HeliographProcess(
        tmp_path_factory.mktemp("claude-gateway") / "data",
        fake_provider.url,
        env=gateway_env(
            fake_provider,
            HELIOGRAPH_ANTHROPIC_API_KEY="sk-ant-upstream",
            HELIOGRAPH_GOOGLE_BASE_URL=fake_provider.url,
            HELIOGRAPH_GOOGLE_API_KEY="AIza-upstream",
            HELIOGRAPH_AZURE_BASE_URL=fake_provider.url,
            HELIOGRAPH_AZURE_API_KEY="azure-upstream-key",
            HELIOGRAPH_BEDROCK_BASE_URL=fake_provider.url,
            AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
            AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
    )
    server.start()
    yield server
    server.stop()


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_claude_through_the_openai_endpoint(
    claude_gateway: HeliographProcess, fake_provider: FakeProvider
):
    request_id = str(uuid.uuid4())
    completion = client(claude_gateway).chat.completions.create(
        model="claude-3-5-sonnet-20241022",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there"},
        ],
        max_tokens=300,
        extra_headers={"Helicone-Request-Id": request_id},
    )
    sent = [c for c in fake_provider.calls if c.path == "/v1/messages"][-1]
    assert sent.headers["x-api-key"] == "sk-ant-upstream"
    assert sent.json()["system"] == "Be brief."
    assert sent.json()["max_tokens"] == 300
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content and completion.choices[0].finish_reason == "stop"
    row = claude_gateway.wait_for_request(request_id)
    assert row["provider"] == "ANTHROPIC"
    assert row["request_model"] == "claude-3-5-sonnet-20241022"
    assert row["prompt_tokens"] == completion.usage.prompt_tokens
    assert row["completion_tokens"] == completion.usage.completion_tokens
    assert row["cost"] > 0
    assert row["response_body"]["object"] == "chat.completion"


def test_claude_stream_with_tools_through_the_openai_endpoint(claude_gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    stream = client(claude_gateway).chat.completions.create(
        model="claude-3-5-sonnet-20241022/anthropic",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"Helicone-Request-Id": request_id},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    row = claude_gateway.wait_for_request(request_id)
    assert row["completion_tokens"] == usage[0].completion_tokens
    assert row["response_body"]["choices"][0]["message"]["content"] == text


def test_completions_embeddings_and_responses_routes(gateway: HeliographProcess):
    sdk = client(gateway)
    text = sdk.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi", max_tokens=5)
    assert text.object == "text_completion" and text.choices[0].text
    embedding = sdk.embeddings.create(model="text-embedding-3-small", input="hello")
    assert len(embedding.data[0].embedding) > 0
    streamed = list(
        sdk.completions.create(model="gpt-3.5-turbo-instruct/openai", prompt="Say hi", stream=True)
    )
    assert all(chunk.usage is None for chunk in streamed)


def test_non_chat_endpoint_on_a_chat_only_provider_is_400(claude_gateway: HeliographProcess):
    response = httpx.post(
        claude_gateway.url + "/v1/embeddings",
        headers={"Authorization": f"Bearer {claude_gateway.api_key}"},
        json={"model": "claude-3-5-sonnet-20241022/anthropic", "input": "hello"},
    )
    assert response.status_code == 400
    assert "serves chat completions only" in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def flaky_gateway(fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory):
    """OpenAI always rate-limited, Groq failing twice per key then fine, Mistral slow."""
    env = gateway_env(
        fake_provider,
        HELIOGRAPH_OPENAI_API_KEY="sk-fake-behaviour:status=429",
        HELIOGRAPH_MISTRAL_BASE_URL=fake_provider.url,
        HELIOGRAPH_MISTRAL_API_KEY="mk-fake-behaviour:delay_ms=2000",
        HELIOGRAPH_XAI_BASE_URL=fake_provider.url,
        HELIOGRAPH_XAI_API_KEY="xai-fake-behaviour:status=500",
        HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S="0.5",
    )
    server = HeliographProcess(
        tmp_path_factory.mktemp("flaky") / "data", fake_provider.url, env=env
    )
    server.start()
    yield server
    server.stop()


def _upstream_calls(fake: FakeProvider, key: str) -> int:
    return sum(1 for c in fake.calls if c.headers.get("authorization") == f"Bearer {key}")


@pytest.mark.parametrize(
    ("first", "failing_key"),
    [
        ("gpt-4o-mini/openai", "sk-fake-behaviour:status=429"),
        ("grok-3/xai", "xai-fake-behaviour:status=500"),
        ("mistral-large-latest/mistral", None),  # times out
    ],
)
def test_failover_on_429_500_and_timeout(
    flaky_gateway: HeliographProcess,
    fake_provider: FakeProvider,
    first: str,
    failing_key: str | None,
):
    before = _upstream_calls(fake_provider, failing_key) if failing_key else 0
    request_id = str(uuid.uuid4())
    raw = client(flaky_gateway).chat.completions.with_raw_response.create(
        model=f"{first},llama-3.1-8b-instant/groq",
        messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"Helicone-Request-Id": request_id},
    )
    assert raw.headers["helicone-fallback-index"] == "1"
    if failing_key:
        assert _upstream_calls(fake_provider, failing_key) == before + 1
    assert flaky_gateway.wait_for_request(request_id)["provider"] == "GROQ"


def test_single_target_error_passes_through(flaky_gateway: HeliographProcess):
    with pytest.raises(openai.RateLimitError) as caught:
        client(flaky_gateway).chat.completions.create(
            model="gpt-4o-mini/openai", messages=[{"role": "user", "content": "Hello"}]
        )
    assert caught.value.status_code == 429


def test_gateway_retries_each_target(flaky_gateway: HeliographProcess, fake_provider: FakeProvider):
    key = "sk-fake-behaviour:status=429"
    before = _upstream_calls(fake_provider, key)
    raw = client(flaky_gateway).chat.completions.with_raw_response.create(
        model="gpt-4o-mini/openai,llama-3.1-8b-instant/groq",
        messages=[{"role": "user", "content": "Hello"}],
        extra_headers={
            "Helicone-Retry-Enabled": "true",
            "Helicone-Retry-Num": "2",
            "Helicone-Retry-Min-Timeout": "10",
            "Helicone-Retry-Max-Timeout": "20",
        },
    )
    assert raw.headers["helicone-fallback-index"] == "1"
    assert _upstream_calls(fake_provider, key) == before + 3  # first try + 2 retries


def test_gateway_retries_are_capped_per_request(
    flaky_gateway: HeliographProcess, fake_provider: FakeProvider
):
    key = "sk-fake-behaviour:status=429"
    before = _upstream_calls(fake_provider, key)
    with pytest.raises(openai.RateLimitError):
        client(flaky_gateway).chat.completions.create(
            model="gpt-4o-mini/openai",
            messages=[{"role": "user", "content": "Hello"}],
            extra_headers={
                "Helicone-Retry-Enabled": "true",
                "Helicone-Retry-Num": "20",
                "Helicone-Retry-Min-Timeout": "0",
                "Helicone-Retry-Max-Timeout": "0",
            },
        )
    # The first call and upstream_max_retries (10) retries, not 21 calls.
    assert _upstream_calls(fake_provider, key) == before + 11


def test_all_timeouts_is_504(flaky_gateway: HeliographProcess):
    with pytest.raises(openai.APIStatusError) as caught:
        client(flaky_gateway).chat.completions.create(
            model="mistral-large-latest/mistral,mistral-small-latest/mistral",
            messages=[{"role": "user", "content": "Hello"}],
        )
    assert caught.value.status_code == 504


def test_organization_keys_are_stored_encrypted_and_used_first(
    gateway: HeliographProcess, fake_provider: FakeProvider
):
    own = gateway.create_key("byok-org")
    own_key = "sk-ant-org-own-key-123456"
    with gateway.api(own) as api:
        created = api.post("/v1/provider-keys", json={"provider": "anthropic", "key": own_key})
        assert created.status_code == 200, created.text
        key_id = created.json()["data"]["id"]
        listed = api.get("/v1/provider-keys").json()["data"]
        assert [k["preview"] for k in listed] == ["sk-a...3456"]
        assert own_key not in api.get("/v1/provider-keys").text
        bad = api.post("/v1/provider-keys", json={"provider": "nope", "key": "x"})
        assert bad.status_code == 400 and "Unknown provider 'nope'" in bad.json()["error"]

    completion = client_with_key(gateway, own).chat.completions.create(
        model="claude-3-5-sonnet-20241022", messages=[{"role": "user", "content": "Hello"}]
    )
    assert completion.choices[0].message.content
    assert [c for c in fake_provider.calls if c.path == "/v1/messages"][-1].headers[
        "x-api-key"
    ] == own_key
    with pytest.raises(openai.AuthenticationError):  # another org has no Anthropic key
        client(gateway).chat.completions.create(
            model="claude-3-5-sonnet-20241022", messages=[{"role": "user", "content": "Hello"}]
        )
    stored = (gateway.data_dir / "metadata.db").read_bytes()
    assert own_key.encode() not in stored, "provider keys are encrypted at rest"

    with gateway.api(own) as api:
        assert api.delete(f"/v1/provider-keys/{key_id}").json() == {"data": None, "error": None}
        assert api.delete(f"/v1/provider-keys/{key_id}").status_code == 404
    with pytest.raises(openai.AuthenticationError):
        client_with_key(gateway, own).chat.completions.create(
            model="claude-3-5-sonnet-20241022", messages=[{"role": "user", "content": "Hello"}]
        )


def client_with_key(server: HeliographProcess, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_through_the_openai_endpoint(
    claude_gateway: HeliographProcess, fake_provider: FakeProvider, stream: bool
):
    request_id = str(uuid.uuid4())
    sdk = client(claude_gateway)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
    headers = {"Helicone-Request-Id": request_id}
    if stream:
        chunks = list(
            sdk.chat.completions.create(
                model="gemini-2.0-flash", messages=messages, stream=True, extra_headers=headers
            )
        )
        assert all(chunk.usage is None for chunk in chunks)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        completion = sdk.chat.completions.create(
            model="gemini-2.0-flash", messages=messages, extra_headers=headers
        )
        text = completion.choices[0].message.content or ""
    sent = [c for c in fake_provider.calls if c.path.startswith("/v1beta/models/gemini-2.0-flash")]
    assert sent[-1].headers["x-goog-api-key"] == "AIza-upstream"
    assert "key=" not in sent[-1].query
    row = claude_gateway.wait_for_request(request_id)
    assert text and row["response_body"]["choices"][0]["message"]["content"] == text
    assert row["provider"] == "GOOGLE" and row["request_model"] == "gemini-2.0-flash"
    assert row["completion_tokens"] > 0 and row["cost"] > 0


def test_azure_deployment_url_and_key(
    claude_gateway: HeliographProcess, fake_provider: FakeProvider
):
    response = httpx.post(
        claude_gateway.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {claude_gateway.api_key}"},
        json={
            "model": "gpt-4o-mini/azure/eu-frankfurt",
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert response.status_code == 200
    echoed = response.json()  # the fake echoes routes it does not serve
    assert echoed["path"] == "/openai/deployments/eu-frankfurt/chat/completions"
    assert echoed["query"] == "api-version=2024-10-21"
    assert echoed["headers"]["api-key"] == "azure-upstream-key"
    assert "authorization" not in echoed["headers"]


@pytest.mark.parametrize("stream", [False, True])
def test_bedrock_through_the_openai_endpoint(
    claude_gateway: HeliographProcess, fake_provider: FakeProvider, stream: bool
):
    request_id = str(uuid.uuid4())
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0/bedrock"
    messages = [{"role": "user", "content": "Hello"}]
    headers = {"Helicone-Request-Id": request_id}
    sdk = client(claude_gateway)
    if stream:
        chunks = list(
            sdk.chat.completions.create(
                model=model, messages=messages, stream=True, extra_headers=headers
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        text = (
            sdk.chat.completions.create(model=model, messages=messages, extra_headers=headers)
            .choices[0]
            .message.content
        )
    sent = [c for c in fake_provider.calls if c.path.startswith("/model/")][-1]
    assert sent.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert sent.path.endswith("/converse-stream" if stream else "/converse")
    row = claude_gateway.wait_for_request(request_id)
    assert text and row["response_body"]["choices"][0]["message"]["content"] == text
    assert row["provider"] == "BEDROCK" and row["completion_tokens"] > 0


def test_model_registry_lists_providers_prices_and_context(gateway: HeliographProcess):
    models = client(gateway).models.list().data
    by_id = {m.id: m.model_dump() for m in models}
    mini = by_id["gpt-4o-mini"]
    assert "openai" in mini["providers"] and mini["context_length"] == 128_000
    openai_price = next(p for p in mini["pricing"] if p["provider"] == "openai")
    assert openai_price["prompt"] > 0 and openai_price["configured"] is True
    assert any(p["configured"] is False for m in by_id.values() for p in m["pricing"])


def test_model_registry_lists_helicones_registry_ids(gateway: HeliographProcess):
    by_id = {m.id: m.model_dump() for m in client(gateway).models.list().data}
    sonnet = by_id["claude-4.5-sonnet"]
    assert sonnet["context_length"] == 200_000
    assert sonnet["providers"] == ["anthropic", "bedrock", "openrouter"]  # cheapest first
    anthropic = sonnet["pricing"][0]
    assert anthropic == {
        "provider": "anthropic",
        "prompt": 0.000003,
        "completion": 0.000015,
        "cache_read": 0.0000003,
        "cache_write": 0.00000375,
        "configured": False,  # this server has no Anthropic key
    }
    # A name both know keeps the catalog's entry and gains the registry's other providers.
    assert by_id["gpt-4o-mini"]["providers"][0] == "openai"
    assert "openrouter" in by_id["gpt-4o-mini"]["providers"]


def test_stream_usage_header_hands_the_client_the_usage_chunk(gateway: HeliographProcess):
    stream = client(gateway).chat.completions.create(
        model="gpt-4o-mini/openai",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        extra_headers={"Helicone-Stream-Usage": "true"},
    )
    usage = [chunk.usage for chunk in stream if chunk.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens > 0

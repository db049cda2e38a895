"""The real `litellm` package against the unified gateway, as docs/litellm.md describes it.

LiteLLM's `helicone/` provider is OpenAI-compatible: it POSTs to `{api_base}/chat/completions`
with `Authorization: Bearer <key>`. These tests pin what arrives, so a LiteLLM upgrade that
changes it fails here.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.gateway.conftest import DEAD
from tests.server import HeliographProcess

# Both are read at import: the bundled cost map instead of a fetch from GitHub, and no other
# download LiteLLM would start on its own.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"
import litellm

HELLO = [{"role": "user", "content": "Hello"}]
SEED_FALLBACK = "gpt-4o-mini/openai,claude-3-5-sonnet-20241022/anthropic"

# LiteLLM's own TypedDicts trip a pydantic UserWarning when it builds their schemas lazily.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Items? .* using the `ReadOnly` qualifier:UserWarning"
)


@pytest.fixture(scope="module")
def gateway(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    server = HeliographProcess(
        tmp_path_factory.mktemp("litellm") / "data",
        fake_provider.url,
        env={
            "HELIOGRAPH_OPENAI_API_KEY": "sk-openai-upstream",
            "HELIOGRAPH_ANTHROPIC_API_KEY": "sk-ant-upstream",
            "HELIOGRAPH_DEAD_BASE_URL": DEAD,
        },
    )
    server.start()
    yield server
    close_cached_clients()
    server.stop()


def close_cached_clients() -> None:
    """Close the OpenAI clients LiteLLM keeps per base URL and key, with their keep-alive
    sockets to this module's server, which would otherwise stay open until exit."""
    cache = litellm.in_memory_llm_clients_cache
    for client in list(cache.cache_dict.values()):
        close = getattr(client, "close", None)
        if callable(close) and not inspect.iscoroutinefunction(close):
            close()
    cache.flush_cache()


@pytest.fixture(autouse=True)
def _quiet_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    """No "Give Feedback" banners, and no callback of LiteLLM's own posting anywhere."""
    monkeypatch.setattr(litellm, "suppress_debug_info", True)
    monkeypatch.setattr(litellm, "success_callback", [])
    monkeypatch.setattr(litellm, "failure_callback", [])


def complete(gateway: HeliographProcess, request_id: str, **kwargs: Any) -> Any:
    """`litellm.completion` the way docs/litellm.md tells users to call it."""
    headers = {"Helicone-Request-Id": request_id, **kwargs.pop("extra_headers", {})}
    kwargs.setdefault("model", "helicone/gpt-4o-mini")
    kwargs.setdefault("messages", HELLO)
    return litellm.completion(
        api_base=gateway.url,
        api_key=gateway.api_key,
        max_retries=0,
        extra_headers=headers,
        **kwargs,
    )


def response_headers(response: Any) -> dict[str, str]:
    """Gateway response headers, which LiteLLM keeps with an `llm_provider-` prefix."""
    headers = response._hidden_params["additional_headers"]
    prefix = "llm_provider-"
    return {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}


def logged(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: row[key]
        for key in (
            "provider",
            "request_model",
            "response_status",
            "request_user_id",
            "request_properties",
            "request_body",
        )
    }


def test_completion_is_logged_under_the_id_litellm_sees(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = complete(gateway, request_id)
    assert response_headers(response)["helicone-id"] == request_id
    assert response.model == "helicone/gpt-4o-mini"  # LiteLLM puts its prefix back
    row = gateway.wait_for_request(request_id)
    assert logged(row) == {
        "provider": "OPENAI",
        "request_model": "gpt-4o-mini",
        "response_status": 200,
        "request_user_id": "",
        "request_properties": {},
        # the prefix is stripped, the request arrives at /chat/completions as plain OpenAI
        "request_body": {"model": "gpt-4o-mini", "messages": HELLO},
    }
    assert row["response_body"]["choices"][0]["message"]["content"] == (
        response.choices[0].message.content
    )
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
    )
    assert row["cost"] > 0


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_is_assembled_and_logged_with_its_usage(
    gateway: HeliographProcess, include_usage: bool
):
    request_id = str(uuid.uuid4())
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    chunks = list(complete(gateway, request_id, stream=True, **options))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    row = gateway.wait_for_request(request_id)
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    # Without include_usage LiteLLM asks for no usage, yet the gateway still logs it.
    assert row["completion_tokens"] > 0 and row["prompt_tokens"] > 0
    assert row["time_to_first_token"] is not None
    usage = [c.usage for c in chunks if getattr(c, "usage", None) is not None]
    if include_usage:
        assert [(u.prompt_tokens, u.completion_tokens) for u in usage] == [
            (row["prompt_tokens"], row["completion_tokens"])
        ]
        built = litellm.stream_chunk_builder(chunks, messages=HELLO)
        assert built.choices[0].message.content == text
        assert built.usage.completion_tokens == row["completion_tokens"]
    else:
        assert usage == []


def test_text_completion_becomes_a_chat_completion(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = litellm.text_completion(
        model="helicone/gpt-4o-mini",
        prompt="Once upon a time",
        api_base=gateway.url,
        api_key=gateway.api_key,
        max_retries=0,
        extra_headers={"Helicone-Request-Id": request_id},
    )
    assert response.object == "text_completion"
    row = gateway.wait_for_request(request_id)
    # LiteLLM turns the prompt into one user message and posts to /chat/completions, so no
    # /completions route is involved.
    assert row["request_body"] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Once upon a time"}],
    }
    assert response.choices[0].text == row["response_body"]["choices"][0]["message"]["content"]


def test_legacy_completions_through_the_openai_prefix(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    response = litellm.text_completion(
        model="openai/gpt-3.5-turbo-instruct",
        prompt="Once upon a time",
        api_base=gateway.url + "/v1",
        api_key=gateway.api_key,
        max_retries=0,
        extra_headers={"Helicone-Request-Id": request_id},
    )
    row = gateway.wait_for_request(request_id)
    assert row["request_body"] == {"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time"}
    assert response.choices[0].text == row["response_body"]["choices"][0]["text"]


def test_completion_with_only_a_prompt_is_refused(gateway: HeliographProcess):
    """LiteLLM's own Helicone page shows `completion(prompt=...)`: it sends `messages: []`."""
    with pytest.raises(litellm.BadRequestError, match="non-empty 'messages' list"):
        litellm.completion(
            model="helicone/gpt-4o-mini",
            prompt="Once upon a time",
            api_base=gateway.url,
            api_key=gateway.api_key,
            max_retries=0,
        )


def test_extra_headers_set_properties_user_and_session(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    complete(
        gateway,
        request_id,
        extra_headers={
            "Helicone-Property-Environment": "production",
            "Helicone-Property-App-Version": "2.1.0",
            "Helicone-User-Id": "user-789",
            "Helicone-Session-Id": "session-abc-123",
            "Helicone-Session-Path": "/weather",
            "Helicone-Session-Name": "Weather Assistant",
        },
    )
    row = gateway.wait_for_request(request_id)
    assert row["request_id"] == request_id
    assert row["request_user_id"] == "user-789"
    # The OpenAI SDK under LiteLLM lower-cases header names, so property names arrive
    # lower-cased; the session headers are stored under Helicone's fixed keys.
    assert row["request_properties"] == {
        "environment": "production",
        "app-version": "2.1.0",
        "Helicone-Session-Id": "session-abc-123",
        "Helicone-Session-Path": "/weather",
        "Helicone-Session-Name": "Weather Assistant",
    }


@pytest.mark.parametrize(
    ("chain", "index", "provider", "model"),
    [
        (SEED_FALLBACK, "0", "OPENAI", "gpt-4o-mini"),
        (
            "gpt-4o-mini/dead,claude-3-5-sonnet-20241022/anthropic",
            "1",
            "ANTHROPIC",
            "claude-3-5-sonnet-20241022",
        ),
    ],
    ids=["seed-chain-first-answers", "first-target-down"],
)
def test_fallback_chain_passes_through_litellm(
    gateway: HeliographProcess, chain: str, index: str, provider: str, model: str
):
    request_id = str(uuid.uuid4())
    response = complete(gateway, request_id, model=f"helicone/{chain}")
    assert response_headers(response)["helicone-fallback-index"] == index
    assert response.model == f"helicone/{model}"
    row = gateway.wait_for_request(request_id)
    assert row["request_body"]["model"] == chain  # LiteLLM sends the chain verbatim
    assert (row["provider"], row["request_model"]) == (provider, model)


def test_retry_headers_take_effect(gateway: HeliographProcess):
    request_id = str(uuid.uuid4())
    retry = {
        "Helicone-Retry-Enabled": "true",
        "Helicone-Retry-Num": "2",
        "Helicone-Retry-Min-Timeout": "0",
    }
    with pytest.raises(litellm.BadGatewayError) as caught:
        complete(gateway, request_id, model="helicone/gpt-4o-mini/dead", extra_headers=retry)
    assert str(caught.value).count("gpt-4o-mini/dead: unreachable") == 3  # 1 try + 2 retries
    assert gateway.wait_for_request(request_id)["response_status"] == 502


@pytest.mark.parametrize("where", ["per-call", "litellm.metadata"])
def test_metadata_never_reaches_the_gateway(
    gateway: HeliographProcess, monkeypatch: pytest.MonkeyPatch, where: str
):
    """The gap: LiteLLM's docs put Helicone headers in `metadata`; its `helicone/` provider
    sends them neither as headers nor in the body. Only its logging callback reads them.
    `litellm.metadata` (LiteLLM's retry example) is not even a LiteLLM setting."""
    metadata = {
        "Helicone-Property-Environment": "production",
        "Helicone-User-Id": "user-789",
        "Helicone-Session-Id": "session-abc-123",
        "Helicone-Retry-Enabled": "true",
    }
    request_id = str(uuid.uuid4())
    if where == "per-call":
        complete(gateway, request_id, metadata=metadata)
    else:
        monkeypatch.setattr(litellm, "metadata", metadata, raising=False)
        complete(gateway, request_id)
    row = gateway.wait_for_request(request_id)
    assert logged(row) == {
        "provider": "OPENAI",
        "request_model": "gpt-4o-mini",
        "response_status": 200,
        "request_user_id": "",
        "request_properties": {},
        "request_body": {"model": "gpt-4o-mini", "messages": HELLO},
    }


def test_global_litellm_headers_are_replaced_by_per_call_headers(
    gateway: HeliographProcess, monkeypatch: pytest.MonkeyPatch
):
    alone, with_own = str(uuid.uuid4()), str(uuid.uuid4())
    global_headers = {"Helicone-Request-Id": alone, "Helicone-Property-Team": "search"}
    monkeypatch.setattr(litellm, "headers", global_headers)
    litellm.completion(
        model="helicone/gpt-4o-mini",
        messages=HELLO,
        api_base=gateway.url,
        api_key=gateway.api_key,
        max_retries=0,
    )
    complete(gateway, with_own)  # its extra_headers replace litellm.headers, not merge
    assert gateway.wait_for_request(alone)["request_properties"] == {"team": "search"}
    assert gateway.wait_for_request(with_own)["request_properties"] == {}


def test_helicone_api_base_is_not_read_by_the_provider(monkeypatch: pytest.MonkeyPatch):
    """`api_base=` is the only way to point `helicone/` at Heliograph; the key may come
    from HELICONE_API_KEY."""
    monkeypatch.setenv("HELICONE_API_BASE", "http://127.0.0.1:8585")
    monkeypatch.setenv("HELICONE_API_KEY", "sk-helicone-from-env")
    model, provider, key, base = litellm.get_llm_provider("helicone/gpt-4o-mini")
    assert (model, provider, key) == ("gpt-4o-mini", "helicone", "sk-helicone-from-env")
    assert base == "https://ai-gateway.helicone.ai/"


def test_helicone_provider_has_no_embeddings_but_openai_prefix_works(
    gateway: HeliographProcess, fake_provider: FakeProvider
):
    before = len(fake_provider.calls)
    with pytest.raises(litellm.BadRequestError, match="Unmapped LLM provider"):
        litellm.embedding(
            model="helicone/text-embedding-3-small",
            input=["hello"],
            api_base=gateway.url,
            api_key=gateway.api_key,
        )
    assert len(fake_provider.calls) == before
    request_id = str(uuid.uuid4())
    response = litellm.embedding(
        model="openai/text-embedding-3-small",
        input=["hello"],
        api_base=gateway.url + "/v1",
        api_key=gateway.api_key,
        max_retries=0,
        extra_headers={"Helicone-Request-Id": request_id},
    )
    assert len(response.data) == 1
    row = gateway.wait_for_request(request_id)
    assert (row["provider"], row["request_model"]) == ("OPENAI", "text-embedding-3-small")


# Helicone's LiteLLM page streams `helicone/claude-4.5-sonnet`, a model id of Helicone's
# registry (src/heliograph/costs/helicone_registry.json), not one of Anthropic's.
STORY = [{"role": "user", "content": "Write a short story about a robot learning to paint"}]
SONNET_ID = "claude-sonnet-4-5-20250929"


@pytest.mark.parametrize(
    ("model", "stream"),
    [
        ("helicone/claude-4.5-sonnet", True),
        ("helicone/claude-4.5-sonnet", False),
        ("helicone/claude-4.5-sonnet/anthropic", False),
    ],
)
def test_helicone_registry_model_as_on_helicones_litellm_page(
    gateway: HeliographProcess, fake_provider: FakeProvider, model: str, stream: bool
):
    request_id = str(uuid.uuid4())
    before = len(fake_provider.calls)
    if stream:
        chunks = list(complete(gateway, request_id, model=model, messages=STORY, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        response = complete(gateway, request_id, model=model, messages=STORY)
        assert response.model == f"helicone/{SONNET_ID}"  # the id Anthropic answered under
        text = response.choices[0].message.content
    sent = [c.json() for c in fake_provider.calls[before:] if c.path == "/v1/messages"]
    assert [(body["model"], body.get("stream", False)) for body in sent] == [(SONNET_ID, stream)]
    row = gateway.wait_for_request(request_id)
    assert (row["provider"], row["model"], row["response_status"]) == ("ANTHROPIC", SONNET_ID, 200)
    assert row["request_body"]["model"] == model.removeprefix("helicone/")
    assert text and row["response_body"]["choices"][0]["message"]["content"] == text
    # The registry's price for Anthropic, in nano-USD a token: 3,000 in, 15,000 out.
    prompt, completion = row["prompt_tokens"], row["completion_tokens"]
    assert prompt > 0 and completion > 0 and row["prompt_cache_read_tokens"] == 0
    assert round(row["cost"] * 1e9) == prompt * 3000 + completion * 15000


def test_a_registry_model_in_a_fallback_chain(
    gateway: HeliographProcess, fake_provider: FakeProvider
):
    """As `helicone/gpt-4o/openai,claude-4.5-sonnet/anthropic`, with the first target down."""
    request_id = str(uuid.uuid4())
    before = len(fake_provider.calls)
    response = complete(
        gateway,
        request_id,
        model="helicone/gpt-4o/dead,claude-4.5-sonnet/anthropic",
    )
    assert response_headers(response)["helicone-fallback-index"] == "1"
    sent = [c.json()["model"] for c in fake_provider.calls[before:] if c.path == "/v1/messages"]
    assert sent == [SONNET_ID]
    assert gateway.wait_for_request(request_id)["provider"] == "ANTHROPIC"

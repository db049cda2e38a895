"""LiteLLM's Helicone logging callback (`success_callback = ["helicone"]`) into Heliograph.

LiteLLM calls the provider directly (here the fake provider) and then posts the call to
`{HELICONE_API_BASE}/oai/v1/log` (or `/anthropic/v1/log`, `/custom/v1/log`) with
`Authorization: Bearer {HELICONE_API_KEY}` and the call's `metadata` as
`providerRequest.meta`. Checked with the installed litellm (see docs/async-logging.md), so
an upgrade that changes what it posts fails here.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.usage import Usage
from tests.api.async_log_helpers import catalog_cost, example, logged_row
from tests.server import HeliographProcess

# Read at import: the bundled cost map instead of a fetch, and no download of LiteLLM's own.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"
import litellm
import litellm.utils

HELLO = [{"role": "user", "content": "Hello"}]

pytestmark = pytest.mark.filterwarnings(
    "ignore:Items? .* using the `ReadOnly` qualifier:UserWarning"
)


@pytest.fixture(scope="module")
def org_key(server: HeliographProcess) -> str:
    """A key of an organization only these tests log to."""
    return server.create_key("litellm-callback")


@pytest.fixture
def callback_done(
    server: HeliographProcess, org_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[threading.Event]:
    """LiteLLM set up as its Helicone docs say; the event is set once the callbacks ran
    (LiteLLM runs success callbacks on a thread pool, in list order)."""
    done = threading.Event()

    def after_helicone(*_: Any) -> None:
        done.set()

    monkeypatch.setenv("HELICONE_API_KEY", org_key)
    monkeypatch.setenv("HELICONE_API_BASE", server.url)
    monkeypatch.setattr(litellm, "suppress_debug_info", True)
    monkeypatch.setattr(litellm, "success_callback", ["helicone", after_helicone])
    monkeypatch.setattr(litellm, "failure_callback", ["helicone"])
    # LiteLLM builds its HeliconeLogger (which reads the env) once per process, on the
    # first call after its callback list was empty.
    monkeypatch.setattr(litellm.utils, "callback_list", [])
    yield done


def complete(fake_provider: FakeProvider, **kwargs: Any) -> Any:
    kwargs.setdefault("model", "openai/gpt-4o-mini")
    kwargs.setdefault("api_base", fake_provider.url + "/v1")
    kwargs.setdefault("api_key", "sk-fake")
    return litellm.completion(messages=HELLO, max_retries=0, **kwargs)


def test_success_callback_logs_tokens_cost_properties_user_and_session(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    org_key: str,
    callback_done: threading.Event,
):
    request_id = str(uuid.uuid4())
    response = complete(
        fake_provider,
        metadata={
            "Helicone-Request-Id": request_id,
            "Helicone-Session-Id": "session-abc-123",
            "Helicone-Session-Name": "Weather Assistant",
            "Helicone-Session-Path": "/weather",
            "Helicone-User-Id": "user-789",
            "Helicone-Property-Environment": "production",
            "Helicone-Property-App-Version": "2.1.0",
        },
    )
    row = server.wait_for_request(request_id, key=org_key)
    usage = response.usage
    assert {k: row[k] for k in ("provider", "model", "response_status", "request_path")} == {
        "provider": "OPENAI",
        "model": "gpt-4o-mini",
        "response_status": 200,
        "request_path": "https://api.openai.com/v1",  # what LiteLLM reports, not the real base
    }
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert row["cost"] == pytest.approx(
        catalog_cost("OPENAI", "gpt-4o-mini", Usage(usage.prompt_tokens, usage.completion_tokens))
    )
    assert row["request_user_id"] == "user-789"
    assert row["request_properties"] == {
        "Environment": "production",
        "App-Version": "2.1.0",
        "Helicone-Session-Id": "session-abc-123",
        "Helicone-Session-Name": "Weather Assistant",
        "Helicone-Session-Path": "/weather",
    }
    assert row["request_body"] == {"model": "gpt-4o-mini", "messages": HELLO}
    assert row["response_body"]["choices"][0]["message"]["content"] == (
        response.choices[0].message.content
    )
    assert "Helicone-Auth" not in str(row)  # LiteLLM puts the key in the meta: never stored


def test_litellm_helicone_page_metadata_becomes_properties(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    org_key: str,
    callback_done: threading.Event,
):
    """The metadata of LiteLLM's Helicone page ("With Metadata (Helicone Custom Properties)")."""
    request_id = str(uuid.uuid4())
    complete(
        fake_provider,
        metadata={
            "Helicone-Property-Environment": "production",
            "Helicone-Property-User-Id": "user_123",
            "Helicone-Property-Session-Id": "session_abc",
            "Helicone-Request-Id": request_id,
        },
    )
    row = server.wait_for_request(request_id, key=org_key)
    assert row["request_properties"] == {
        "Environment": "production",
        "User-Id": "user_123",
        "Session-Id": "session_abc",
    }


def test_a_stream_is_logged_once_with_its_usage(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    org_key: str,
    callback_done: threading.Event,
):
    request_id = str(uuid.uuid4())
    chunks = list(
        complete(
            fake_provider,
            stream=True,
            stream_options={"include_usage": True},
            metadata={"Helicone-Request-Id": request_id},
        )
    )
    row = server.wait_for_request(request_id, key=org_key)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    usage = [c.usage for c in chunks if getattr(c, "usage", None) is not None][-1]
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )


def test_claude_and_failed_calls_are_not_posted_by_this_litellm(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    org_key: str,
    callback_done: threading.Event,
):
    """Pinned gaps of the installed LiteLLM: its Claude mapping imports `AI_PROMPT` from
    `anthropic`, which current anthropic SDKs no longer have, so the callback fails before
    posting; and its failure handler has no Helicone branch at all."""
    claude_id, failed_id = str(uuid.uuid4()), str(uuid.uuid4())
    complete(
        fake_provider,
        model="anthropic/claude-3-5-sonnet-20241022",
        api_base=fake_provider.url,
        metadata={"Helicone-Request-Id": claude_id},
    )
    assert callback_done.wait(30)  # the helicone callback ran (and gave up) before this one
    with pytest.raises(litellm.BadRequestError):
        complete(
            fake_provider,
            api_key="sk-fake-behaviour:status=400",
            metadata={"Helicone-Request-Id": failed_id},
        )  # failure callbacks run before the exception is raised
    # The pipeline stores rows in order: once a later log is stored, an earlier one would be.
    logged_row(server, example(), key=org_key)
    with server.api(org_key) as client:
        assert client.get(f"/v1/request/{claude_id}").status_code == 404
        assert client.get(f"/v1/request/{failed_id}").status_code == 404

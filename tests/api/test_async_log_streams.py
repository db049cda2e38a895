"""Streamed responses logged after the fact: every shape the manual loggers send a stream in.

The streams are real ones, taken from the fake provider on the wire (raw SSE) or through
the OpenAI SDK (chunk objects); the expected tokens are read from the stream itself.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import orjson
import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.usage import Usage
from tests.api.async_log_helpers import catalog_cost, example, logged_row
from tests.inprocess import InProcessServer

PROMPT = [{"role": "user", "content": "Write a short story about a robot"}]


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def raw_stream(fake: FakeProvider, path: str, body: dict[str, Any], **headers: str) -> str:
    """The provider's SSE body exactly as it came over the wire."""
    response = httpx.post(fake.url + path, json=body, headers={"x-api-key": "k", **headers})
    assert response.status_code == 200
    return response.text


def data_lines(sse: str) -> list[Any]:
    return [orjson.loads(line[5:]) for line in sse.splitlines() if line.startswith("data: {")]


def stream_log(request: dict[str, Any], text_body: str, url: str = "custom-model-nopath") -> Any:
    body = example()
    body["providerRequest"].update(url=url, json=request)
    body["providerResponse"] = {"headers": {}, "status": 200, "textBody": text_body}
    body["timing"]["timeToFirstToken"] = 42
    return body


def openai_chunks(fake: FakeProvider) -> list[Any]:
    client = openai.OpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=PROMPT,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    client.close()
    return chunks


def assert_openai_stream_row(row: dict[str, Any], chunks: list[Any]) -> None:
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = chunks[-1].usage
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    assert len(row["response_body"]["streamed_data"]) == len(chunks)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    expected = catalog_cost(
        "OPENAI", "gpt-4o-mini", Usage(usage.prompt_tokens, usage.completion_tokens)
    )
    assert row["cost"] == pytest.approx(expected)


def test_streamed_data_as_the_streaming_cookbook_logs_it(
    server: InProcessServer, fake_provider: FakeProvider
):
    chunks = openai_chunks(fake_provider)
    body = example()
    body["providerRequest"]["json"] = {"model": "gpt-4o-mini", "messages": PROMPT, "stream": True}
    body["providerResponse"]["json"] = {"streamed_data": [c.model_dump() for c in chunks]}
    row = logged_row(server, body, path="/oai/v1/log")
    assert_openai_stream_row(row, chunks)


@pytest.mark.parametrize("separator", ["\n\n", "\n"], ids=["sse", "sse-lines-rejoined"])
def test_raw_openai_sse_as_text_body(
    server: InProcessServer, fake_provider: FakeProvider, separator: str
):
    request = {"model": "gpt-4o-mini", "messages": PROMPT, "stream": True}
    sse = raw_stream(
        fake_provider,
        "/v1/chat/completions",
        {**request, "stream_options": {"include_usage": True}},
    )
    text = separator.join(line for line in sse.splitlines() if line)
    row = logged_row(server, stream_log(request, text), path="/oai/v1/log")
    usage = data_lines(sse)[-1]["usage"]
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert row["time_to_first_token"] == 42
    assert row["response_body"]["choices"][0]["message"]["content"].startswith("The heliograph")


@pytest.mark.parametrize("as_ndjson", [False, True], ids=["sse", "ndjson"])
def test_anthropic_stream_is_assembled_with_cache_tokens(
    server: InProcessServer, fake_provider: FakeProvider, as_ndjson: bool
):
    """Raw SSE (a fetch-based logger) or one event per line (the SDKs' toReadableStream)."""
    request = {"model": "claude-3-5-sonnet-20241022", "messages": PROMPT, "stream": True}
    sse = raw_stream(
        fake_provider,
        "/v1/messages",
        {**request, "max_tokens": 100},
        **{"anthropic-version": "2023-06-01", "x-fake-behaviour": "cache_read=50"},
    )
    events = data_lines(sse)
    text = "\n".join(orjson.dumps(e).decode() for e in events) if as_ndjson else sse
    row = logged_row(server, stream_log(request, text), path="/anthropic/v1/log")
    start = events[0]["message"]["usage"]
    output = events[-2]["usage"]["output_tokens"]  # message_delta, before message_stop
    prompt = start["input_tokens"] + 50
    assert (row["provider"], row["prompt_tokens"], row["completion_tokens"]) == (
        "ANTHROPIC",
        prompt,
        output,
    )
    assert row["prompt_cache_read_tokens"] == 50
    expected = catalog_cost(
        "ANTHROPIC", "claude-3-5-sonnet-20241022", Usage(prompt, output, cache_read_tokens=50)
    )
    assert row["cost"] == pytest.approx(expected)
    assert row["response_body"]["content"][0]["text"].startswith("The heliograph")


def test_custom_log_of_a_gemini_stream_is_priced_as_google(
    server: InProcessServer, fake_provider: FakeProvider
):
    request = {"contents": [{"role": "user", "parts": [{"text": "Write a story"}]}]}
    sse = raw_stream(
        fake_provider,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
        request,
        **{"x-goog-api-key": "k"},
    )
    url = "https://generativelanguage.googleapis.com/v1beta"  # what LiteLLM logs for Gemini
    body = stream_log({"model": "gemini-2.0-flash", **request}, sse, url=url)
    row = logged_row(server, body)
    usage = data_lines(sse)[-1]["usageMetadata"]
    prompt, completion = usage["promptTokenCount"], usage["candidatesTokenCount"]
    assert (row["provider"], row["prompt_tokens"], row["completion_tokens"]) == (
        "GOOGLE",
        prompt,
        completion,
    )
    assert row["cost"] == pytest.approx(
        catalog_cost("GOOGLE", "gemini-2.0-flash", Usage(prompt, completion))
    )
    parts = row["response_body"]["candidates"][0]["content"]["parts"]
    assert parts[0]["text"].startswith("The heliograph")


def test_custom_log_of_anthropic_events_uses_the_anthropic_assembler(
    server: InProcessServer, fake_provider: FakeProvider
):
    request = {"model": "claude-3-5-sonnet-20241022", "messages": PROMPT, "stream": True}
    sse = raw_stream(
        fake_provider,
        "/v1/messages",
        {**request, "max_tokens": 100},
        **{"anthropic-version": "2023-06-01"},
    )
    row = logged_row(server, stream_log(request, sse))
    assert row["provider"] == "CUSTOM"
    assert row["completion_tokens"] == data_lines(sse)[-2]["usage"]["output_tokens"]
    assert row["cost"] > 0  # priced from any provider's list, as Helicone does for CUSTOM


@pytest.mark.parametrize(
    ("request_body", "response", "model"),
    [
        (
            {"_type": "tool", "toolName": "calculator", "input": {"expression": "2 + 2"}},
            {"result": 4},
            "tool:calculator",
        ),
        (
            {
                "_type": "vector_db",
                "operation": "search",
                "text": "How to make pasta",
                "topK": 3,
                "databaseName": "recipes",
            },
            [
                {"id": "1", "content": "Pasta recipe 1", "score": 0.95},
                {"id": "2", "content": "Pasta recipe 2", "score": 0.87},
                {"id": "3", "content": "Pasta recipe 3", "score": 0.82},
            ],
            "vector_db",
        ),
    ],
    ids=["tool", "vector_db"],
)
def test_typescript_custom_events_from_the_streaming_cookbook(
    server: InProcessServer, request_body: dict[str, Any], response: Any, model: str
):
    """`logSingleRequest(request, JSON.stringify(result))`: the TypeScript SDK's sendLog
    sends the body as `textBody` beside an empty `json`, headers as HTTP headers."""
    body = {
        "providerRequest": {"url": "custom-model-nopath", "json": request_body, "meta": {}},
        "providerResponse": {
            "headers": {},
            "status": 200,
            "json": {},
            "textBody": orjson.dumps(response).decode(),
        },
        "timing": {
            "startTime": {"seconds": 1700000000, "milliseconds": 0},
            "endTime": {"seconds": 1700000000, "milliseconds": 250},
        },
    }
    row = logged_row(server, body, headers={"Helicone-User-Id": "user-123"})
    assert (row["model"], row["provider"], row["request_user_id"], row["delay_ms"]) == (
        model,
        "CUSTOM",
        "user-123",
        250,
    )
    assert (row["request_body"], row["response_body"]) == (request_body, response)
    assert (row["prompt_tokens"], row["cost"]) == (None, 0)

"""The real Python manual logger (`helicone-helpers`) pointed at Heliograph.

Each test follows an example of the Python manual-logger page (or the Logger SDK page),
changing only `logging_endpoint` and the key; the LLM calls go to the fake provider.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from helicone_helpers import HeliconeManualLogger

# The page imports LoggingOptions from `helicone_helpers`, which 1.2.1 does not export.
from helicone_helpers.manual_logger import HeliconeResultRecorder, LoggingOptions

from heliograph.mock_provider import FakeProvider
from heliograph.usage import Usage
from tests.api.async_log_helpers import catalog_cost, new_id
from tests.server import HeliographProcess


@pytest.fixture
def logger(server: HeliographProcess) -> HeliconeManualLogger:
    return HeliconeManualLogger(api_key=server.api_key, headers={}, logging_endpoint=server.url)


@pytest.fixture
def client(fake_provider: FakeProvider) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake_provider.url + "/v1", api_key="k", max_retries=0) as c:
        yield c


def test_log_request_with_the_openai_provider(
    server: HeliographProcess,
    logger: HeliconeManualLogger,
    client: openai.OpenAI,
    capsys: pytest.CaptureFixture[str],
):
    request_id = new_id()

    def chat_completion_operation(result_recorder: HeliconeResultRecorder) -> Any:
        response = client.chat.completions.create(**result_recorder.request)
        result_recorder.append_results(json.loads(response.to_json()))
        return response

    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello, world!"}]}
    result = logger.log_request(
        provider="openai",
        request=request,
        operation=chat_completion_operation,
        additional_headers={"Helicone-Session-Id": "1234567890", "Helicone-Request-Id": request_id},
    )
    assert capsys.readouterr().out == ""  # the SDK prints when the log endpoint says no
    row = server.wait_for_request(request_id)
    assert (row["provider"], row["model"], row["request_properties"]) == (
        "OPENAI",
        "gpt-4o-mini",
        {"Helicone-Session-Id": "1234567890"},
    )
    usage = result.usage
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    expected = catalog_cost(
        "OPENAI", "gpt-4o-mini", Usage(usage.prompt_tokens, usage.completion_tokens)
    )
    assert row["cost"] == pytest.approx(expected)
    assert row["request_body"] == request
    assert row["response_body"]["choices"][0]["message"]["content"] == (
        result.choices[0].message.content
    )


def test_send_log_with_a_string_response(server: HeliographProcess, logger: HeliconeManualLogger):
    request_id = new_id()
    start_time = time.time()
    request = {"model": "custom-model", "prompt": "Tell me a joke"}
    response = "Why did the chicken cross the road? To get to the other side!"
    logger.send_log(
        provider=None,
        request=request,
        response=response,
        options=LoggingOptions(
            start_time=start_time,
            end_time=start_time + 0.5,
            additional_headers={"Helicone-User-Id": "user-123", "Helicone-Request-Id": request_id},
            time_to_first_token_ms=150,
        ),
    )
    row = server.wait_for_request(request_id)
    assert (row["provider"], row["model"], row["response_body"]) == (
        "CUSTOM",
        "custom-model",
        response,
    )
    assert (row["request_user_id"], row["time_to_first_token"], row["delay_ms"]) == (
        "user-123",
        150,
        500,
    )


def test_direct_stream_logging_with_joined_chunk_json(
    server: HeliographProcess, logger: HeliconeManualLogger, client: openai.OpenAI
):
    """The page's "Direct Stream Logging": `"\\n".join(chunk.model_dump_json())`."""
    request_id = new_id()
    request_body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Write a story about a robot"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    stream = client.chat.completions.create(**request_body)
    chunks = []
    time_to_first_token_ms = None
    start_time = time.time()
    for i, chunk in enumerate(stream):
        if i == 0 and not time_to_first_token_ms:
            time_to_first_token_ms = (time.time() - start_time) * 1000
        chunks.append(chunk.model_dump_json())
    logger.send_log(
        provider="openai",
        request=request_body,
        response="\n".join(chunks),
        options=LoggingOptions(
            start_time=start_time,
            end_time=time.time(),
            additional_headers={"Helicone-User-Id": "user-123", "Helicone-Request-Id": request_id},
            time_to_first_token_ms=time_to_first_token_ms,
        ),
    )
    row = server.wait_for_request(request_id)
    final = json.loads(chunks[-1])["usage"]
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        final["prompt_tokens"],
        final["completion_tokens"],
    )
    assert row["time_to_first_token"] == round(time_to_first_token_ms or 0)
    assert len(row["response_body"]["streamed_data"]) == len(chunks)


def test_log_request_streaming_example_with_recorded_chunks(
    server: HeliographProcess, logger: HeliconeManualLogger, client: openai.OpenAI
):
    """The page's "Streaming Responses": the recorder gets `{"chunks": [...], ...}`."""
    request_id = new_id()
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Write a story about a robot."}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    def stream_operation(result_recorder: HeliconeResultRecorder) -> list[Any]:
        start_time = time.time()
        collected_chunks = list(client.chat.completions.create(**request))
        result_recorder.append_results(
            {
                "chunks": [c.model_dump() for c in collected_chunks],
                "time_to_first_token_ms": (time.time() - start_time) * 1000,
            }
        )
        return collected_chunks

    chunks = logger.log_request(
        provider="openai",
        request=request,
        operation=stream_operation,
        additional_headers={"Helicone-User-Id": "user-123", "Helicone-Request-Id": request_id},
    )
    row = server.wait_for_request(request_id)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        chunks[-1].usage.prompt_tokens,
        chunks[-1].usage.completion_tokens,
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert row["response_body"]["choices"][0]["message"]["content"] == text
    assert row["time_to_first_token"] is not None


def test_logger_sdk_data_log_is_named_after_its_operation(
    server: HeliographProcess, logger: HeliconeManualLogger
):
    """The Logger SDK page's `_type: "data"` example (a database query as the operation)."""
    request_id = new_id()
    rows = [{"id": 1, "active": True}, {"id": 2, "active": True}]

    def database_operation(result_recorder: HeliconeResultRecorder) -> list[dict[str, Any]]:
        result_recorder.append_results(
            {
                "_type": "data",
                "name": "user_query",
                "status": "success",
                "data": rows,
                "count": len(rows),
            }
        )
        return rows

    logger.log_request(
        request={
            "_type": "data",
            "name": "user_query",
            "query": "SELECT * FROM users WHERE active = true",
            "database": "production",
        },
        operation=database_operation,
        additional_headers={
            "Helicone-Property-Session": "user-123",
            "Helicone-Property-Environment": "production",
            "Helicone-Request-Id": request_id,
        },
    )
    row = server.wait_for_request(request_id)
    assert (row["model"], row["provider"], row["request_properties"]) == (
        "data:user_query",
        "CUSTOM",
        {"Session": "user-123", "Environment": "production"},
    )
    assert row["response_body"]["data"] == rows

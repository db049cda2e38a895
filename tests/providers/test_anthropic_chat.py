"""AnthropicChatAdapter: OpenAI chat completions to Anthropic's Messages API and back."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from heliograph.errors import InvalidRequestError, UpstreamError
from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.generation import prompt_tokens, sentence
from heliograph.providers.anthropic_chat import AnthropicChatAdapter
from heliograph.providers.chat import ChatAdapter
from heliograph.providers.sse import parse_events

MODEL = "claude-sonnet-4-5"
ADAPTER: ChatAdapter = AnthropicChatAdapter()
USER = {"role": "user", "content": "Hi"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def translated(body: dict[str, Any], stream: bool = False) -> dict[str, Any]:
    call = ADAPTER.chat_request(body, MODEL, "sk-ant-test", stream)
    result = orjson.loads(call.body)
    assert isinstance(result, dict)
    return result


def answered(message: dict[str, Any]) -> dict[str, Any]:
    completion: dict[str, Any] = orjson.loads(ADAPTER.chat_response(orjson.dumps(message), MODEL))
    assert isinstance(completion["created"], int)
    del completion["created"]
    return completion


def message(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 7},
    }


# --- requests ---------------------------------------------------------------------------


def test_the_call_goes_to_messages_with_anthropic_headers() -> None:
    call = ADAPTER.chat_request({"messages": [USER]}, MODEL, "sk-ant-test", False)
    assert (call.method, call.path) == ("POST", "/v1/messages")
    assert call.headers == {
        "x-api-key": "sk-ant-test",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }


def test_minimal_request_gets_the_default_max_tokens() -> None:
    body = {"model": "gpt-4o", "messages": [USER]}
    assert translated(body) == {"model": MODEL, "messages": [USER], "max_tokens": 4096}


def test_sampling_parameters_map_and_openai_only_ones_are_dropped() -> None:
    body = {
        "model": "anthropic/claude",
        "messages": [USER],
        "max_tokens": 100,
        "max_completion_tokens": 200,  # the newer name wins
        "temperature": 0.3,
        "top_p": 0.9,
        "stop": ["END", "\n", "  "],  # whitespace-only sequences are refused by Anthropic
        "user": "user-42",
        "n": 1,
        "logprobs": False,
        "top_logprobs": 0,
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.5,
        "logit_bias": {"50256": -100},
        "stream_options": {"include_usage": True},
        "parallel_tool_calls": True,
        "service_tier": "auto",
        "store": False,
        "metadata": {"tag": "x"},
        "response_format": {"type": "text"},
    }
    assert translated(body, stream=True) == {
        "model": MODEL,
        "messages": [USER],
        "max_tokens": 200,
        "temperature": 0.3,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "metadata": {"user_id": "user-42"},
        "stream": True,
    }


def test_a_string_stop_and_a_temperature_beyond_anthropics_range() -> None:
    request = translated({"messages": [USER], "stop": "###", "temperature": 1.7})
    assert (request["stop_sequences"], request["temperature"]) == (["###"], 1)


def test_n_above_one_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="n > 1"):
        translated({"messages": [USER], "n": 2})


def test_system_and_developer_messages_become_the_system_parameter() -> None:
    one = translated({"messages": [{"role": "system", "content": "Be terse."}, USER]})
    assert one["system"] == "Be terse."
    assert one["messages"] == [USER]

    several = translated(
        {
            "messages": [
                {"role": "system", "content": "Be terse."},
                USER,
                {
                    "role": "developer",
                    "content": [
                        {
                            "type": "text",
                            "text": "Cite sources.",
                            "cache_control": {"type": "ephemeral"},
                        }
                    ],
                },
            ]
        }
    )
    assert several["system"] == [
        {"type": "text", "text": "Be terse."},
        {"type": "text", "text": "Cite sources.", "cache_control": {"type": "ephemeral"}},
    ]
    assert several["messages"] == [USER]


def test_content_parts_with_images_and_a_pdf() -> None:
    parts = [
        {"type": "text", "text": "Compare these."},
        {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
        },
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "text", "text": ""},  # Anthropic refuses empty text blocks
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
        },
    ]
    assert translated({"messages": [{"role": "user", "content": parts}]})["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare these."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                {
                    "type": "document",
                    "source": {
                        "type": "base64",
                        "media_type": "application/pdf",
                        "data": "JVBERi0=",
                    },
                },
            ],
        }
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        {"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}},
        {"type": "image_url", "image_url": {"url": "ftp://example.com/cat.jpg"}},
        {"type": "file", "file": {"file_id": "file-abc"}},
    ],
)
def test_parts_anthropic_cannot_take_are_refused(part: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        translated({"messages": [{"role": "user", "content": [part]}]})


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_tool_calls_and_tool_results_become_tool_use_and_tool_result_blocks() -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {
                    "id": "toolu_01",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "toolu_02",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
        {"role": "tool", "tool_call_id": "toolu_02", "content": [{"type": "text", "text": "24C"}]},
        {"role": "user", "content": "Which is warmer?"},
    ]
    assert translated({"messages": messages, "tools": [WEATHER_TOOL]})["messages"] == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking both."},
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_02",
                    "name": "get_weather",
                    "input": {"city": "Rome"},
                },
            ],
        },
        {
            "role": "user",  # both results and the next question in one user turn, results first
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_02",
                    "content": [{"type": "text", "text": "24C"}],
                },
                {"type": "text", "text": "Which is warmer?"},
            ],
        },
    ]


def test_a_tool_call_answer_goes_back_as_the_same_tool_use() -> None:
    blocks = [
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}
    ]
    reply = answered(message(blocks, "tool_use"))["choices"][0]["message"]
    follow_up = [USER, reply, {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"}]
    assert translated({"messages": follow_up})["messages"][1] == {
        "role": "assistant",
        "content": blocks,
    }


def test_consecutive_turns_of_one_role_are_merged_and_empty_ones_skipped() -> None:
    messages = [
        {"role": "user", "content": "One."},
        {"role": "user", "content": [{"type": "text", "text": "Two."}]},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "user", "content": "Three."},
        {"role": "assistant", "content": [{"type": "text", "text": "Sure"}]},
    ]
    assert translated({"messages": messages})["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "One."},
                {"type": "text", "text": "Two."},
                {"type": "text", "text": "Three."},
            ],
        },
        {"role": "assistant", "content": "Sure"},
    ]


@pytest.mark.parametrize(
    ("arguments", "expected"), [("", {}), ("{}", {}), ('{"a": [1]}', {"a": [1]})]
)
def test_tool_call_arguments_are_parsed(arguments: str, expected: dict[str, Any]) -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    request = translated({"messages": [USER, {"role": "assistant", "tool_calls": [call]}]})
    assert request["messages"][1]["content"][0]["input"] == expected


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]"])
def test_tool_call_arguments_that_are_not_an_object_are_refused(arguments: str) -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    with pytest.raises(InvalidRequestError, match="JSON object"):
        translated({"messages": [USER, {"role": "assistant", "tool_calls": [call]}]})


def test_function_tools_get_an_input_schema() -> None:
    bare = {"type": "function", "function": {"name": "now"}}
    assert translated({"messages": [USER], "tools": [WEATHER_TOOL, bare]})["tools"] == [
        {
            "name": "get_weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            "description": "Weather in a city",
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
    ]


@pytest.mark.parametrize(
    ("tool_choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("none", None, {"type": "none"}),
        ("required", None, {"type": "any"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        (None, None, None),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
    ],
)
def test_tool_choice(
    tool_choice: Any, parallel: bool | None, expected: dict[str, Any] | None
) -> None:
    body: dict[str, Any] = {"messages": [USER], "tools": [WEATHER_TOOL]}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    if parallel is not None:
        body["parallel_tool_calls"] = parallel
    assert translated(body).get("tool_choice") == expected


def test_tool_choice_without_tools_is_dropped() -> None:
    assert "tool_choice" not in translated({"messages": [USER], "tool_choice": "required"})


def test_json_mode_becomes_a_system_instruction() -> None:
    request = translated({"messages": [USER], "response_format": {"type": "json_object"}})
    assert request["system"].startswith("Answer with a single valid JSON object and nothing else")

    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    request = translated(
        {
            "messages": [{"role": "system", "content": "Be terse."}, USER],
            "response_format": response_format,
        }
    )
    first, instruction = request["system"]
    assert first == {"type": "text", "text": "Be terse."}
    assert "JSON Schema" in instruction["text"]
    assert instruction["text"].endswith(orjson.dumps(schema).decode())


@pytest.mark.parametrize(
    ("effort", "max_tokens", "budget", "expected_max"),
    [
        ("low", None, 1024, 4096),
        ("medium", None, 4096, 8192),  # max_tokens must exceed the budget: raised by it
        ("high", None, 16384, 20480),
        ("high", 32000, 16384, 32000),
        ("minimal", 500, 1024, 1524),
    ],
)
def test_reasoning_effort_becomes_a_thinking_budget(
    effort: str, max_tokens: int | None, budget: int, expected_max: int
) -> None:
    body: dict[str, Any] = {"messages": [USER], "reasoning_effort": effort, "temperature": 0.2}
    if max_tokens:
        body["max_tokens"] = max_tokens
    request = translated(body)
    assert request["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert request["max_tokens"] == expected_max
    assert "temperature" not in request  # Anthropic refuses temperature with thinking


def test_no_thinking_without_a_known_reasoning_effort() -> None:
    assert "thinking" not in translated({"messages": [USER], "reasoning_effort": "none"})


@pytest.mark.parametrize("messages", [[], None, [{"role": "function", "content": "x"}], ["Hi"]])
def test_malformed_messages_are_refused(messages: Any) -> None:
    with pytest.raises(InvalidRequestError):
        translated({"messages": messages})


# --- responses ----------------------------------------------------------------------------


def test_a_text_answer() -> None:
    text = [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there."}]
    assert answered(message(text)) == {
        "id": "chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello there.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 7,
            "total_tokens": 19,
            "prompt_tokens_details": {"cached_tokens": 0, "cache_creation_input_tokens": 0},
        },
    }


def test_tool_use_and_thinking_in_an_answer() -> None:
    content: list[dict[str, Any]] = [
        {"type": "thinking", "thinking": "Need the weather.", "signature": "EqQBCgIYAhIM"},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_02", "name": "now", "input": {}},
    ]
    choice = answered(message(content, "tool_use"))["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "reasoning_content": "Need the weather.",
        "tool_calls": [
            {
                "id": "toolu_01",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {"id": "toolu_02", "type": "function", "function": {"name": "now", "arguments": "{}"}},
        ],
    }


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("something_new", "stop"),
    ],
)
def test_finish_reasons(stop_reason: str, finish: str) -> None:
    answer = answered(message([{"type": "text", "text": "x"}], stop_reason))
    assert answer["choices"][0]["finish_reason"] == finish


def test_cache_reads_and_writes_count_as_prompt_tokens() -> None:
    cached = message([{"type": "text", "text": "x"}])
    cached["usage"] = {
        "input_tokens": 5,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
        "output_tokens": 9,
    }
    assert answered(cached)["usage"] == {
        "prompt_tokens": 1205,
        "completion_tokens": 9,
        "total_tokens": 1214,
        "prompt_tokens_details": {"cached_tokens": 1000, "cache_creation_input_tokens": 200},
    }


def test_an_answer_that_is_not_json_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        ADAPTER.chat_response(b'{"id": "msg_1", "cont', MODEL)


# --- errors -------------------------------------------------------------------------------


def anthropic_error(kind: str, message: str) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            anthropic_error("invalid_request_error", "max_tokens: required"),
            {"message": "max_tokens: required", "type": "invalid_request_error", "code": None},
        ),
        (
            401,
            anthropic_error("authentication_error", "invalid x-api-key"),
            {
                "message": "invalid x-api-key",
                "type": "authentication_error",
                "code": "invalid_api_key",
            },
        ),
        (
            529,
            anthropic_error("overloaded_error", "Overloaded"),
            {"message": "Overloaded", "type": "server_error", "code": "overloaded"},
        ),
        (
            500,
            anthropic_error("api_error", "Internal server error"),
            {"message": "Internal server error", "type": "server_error", "code": "api_error"},
        ),
        (
            400,
            anthropic_error("brand_new_error", "New."),
            {"message": "New.", "type": "invalid_request_error", "code": "brand_new_error"},
        ),
        (
            502,
            b"<html>Bad gateway</html>\n",
            {"message": "<html>Bad gateway</html>", "type": "server_error", "code": None},
        ),
        (
            503,
            b"",
            {"message": "Anthropic answered HTTP 503", "type": "server_error", "code": None},
        ),
    ],
)
def test_errors_in_openais_shape(status: int, body: bytes, expected: dict[str, Any]) -> None:
    assert orjson.loads(ADAPTER.error_response(status, body)) == {
        "error": {**expected, "param": None}
    }


# --- streams ------------------------------------------------------------------------------


def anthropic_event(payload: dict[str, Any]) -> bytes:
    name: str = payload["type"]
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


START = {
    "type": "message_start",
    "message": {
        **message([]),
        "stop_reason": None,
        "usage": {
            "input_tokens": 30,
            "cache_creation_input_tokens": 4,
            "cache_read_input_tokens": 10,
            "output_tokens": 1,
        },
    },
}
STREAM = b"".join(
    [
        anthropic_event(START),
        anthropic_event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
        ),
        b'event: ping\ndata: {"type": "ping"}\n\n',
        anthropic_event(block_delta(0, {"type": "thinking_delta", "thinking": "Need the weather"})),
        anthropic_event(block_delta(0, {"type": "thinking_delta", "thinking": " in Paris."})),
        anthropic_event(block_delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM"})),
        anthropic_event({"type": "content_block_stop", "index": 0}),
        anthropic_event(
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": ""},
            }
        ),
        anthropic_event(block_delta(1, {"type": "text_delta", "text": "Checking "})),
        anthropic_event(block_delta(1, {"type": "text_delta", "text": "la météo ☀."})),
        anthropic_event({"type": "content_block_stop", "index": 1}),
        anthropic_event(
            {
                "type": "content_block_start",
                "index": 2,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "get_weather",
                    "input": {},
                },
            }
        ),
        anthropic_event(block_delta(2, {"type": "input_json_delta", "partial_json": ""})),
        anthropic_event(
            block_delta(2, {"type": "input_json_delta", "partial_json": '{"city": "Pa'})
        ),
        anthropic_event(block_delta(2, {"type": "input_json_delta", "partial_json": 'ris"}'})),
        anthropic_event({"type": "content_block_stop", "index": 2}),
        anthropic_event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 42},
            }
        ),
        anthropic_event({"type": "message_stop"}),
    ]
)
EXPECTED_DELTAS: list[tuple[dict[str, Any], str | None]] = [
    ({"role": "assistant", "content": ""}, None),
    ({"reasoning_content": "Need the weather"}, None),
    ({"reasoning_content": " in Paris."}, None),
    ({"content": "Checking "}, None),
    ({"content": "la météo ☀."}, None),
    (
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "toolu_01",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        },
        None,
    ),
    ({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Pa'}}]}, None),
    ({"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]}, None),
    ({}, "tool_calls"),
]
STREAM_USAGE = {
    "prompt_tokens": 44,
    "completion_tokens": 42,
    "total_tokens": 86,
    "prompt_tokens_details": {"cached_tokens": 10, "cache_creation_input_tokens": 4},
}


def translate_stream(raw: bytes, piece: int | None, include_usage: bool) -> bytes:
    translator = ADAPTER.chat_stream(MODEL, include_usage)
    size = piece or len(raw)
    out = b"".join(translator.feed(raw[i : i + size]) for i in range(0, len(raw), size))
    return out + translator.finish()


def openai_events(out: bytes) -> list[Any]:
    """The data of each OpenAI event, checking the chunks share one id, created and model."""
    assert out.endswith(b"data: [DONE]\n\n")
    events = [event.data for event in parse_events(out)]
    heads = {
        (e["id"], e["created"], e["model"]) for e in events if isinstance(e, dict) and "id" in e
    }
    assert len(heads) <= 1
    for event in events:
        if isinstance(event, dict) and "id" in event:
            del event["created"]
    return events


def expected_chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize("piece", [1, 7, None])
def test_a_stream_gives_the_same_events_however_it_is_cut(
    piece: int | None, include_usage: bool
) -> None:
    expected: list[Any] = [expected_chunk(delta, finish) for delta, finish in EXPECTED_DELTAS]
    if include_usage:
        usage_chunk = {**expected_chunk({}, None), "choices": [], "usage": STREAM_USAGE}
        expected.append(usage_chunk)
    expected.append("[DONE]")
    assert openai_events(translate_stream(STREAM, piece, include_usage)) == expected


def test_a_stream_with_crlf_line_endings() -> None:
    crlf = translate_stream(STREAM.replace(b"\n", b"\r\n"), 3, include_usage=True)
    lf = translate_stream(STREAM, None, include_usage=True)
    assert openai_events(crlf) == openai_events(lf)


def test_an_error_event_ends_the_stream_with_an_openai_error() -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    raw = anthropic_event(START) + anthropic_event(overloaded)
    assert openai_events(translate_stream(raw, 5, include_usage=True)) == [
        expected_chunk({"role": "assistant", "content": ""}, None),
        {
            "error": {
                "message": "Overloaded",
                "type": "server_error",
                "param": None,
                "code": "overloaded",
            }
        },
        "[DONE]",
    ]


def test_a_stream_cut_short_ends_with_an_error() -> None:
    cut = STREAM[: STREAM.index(b"event: content_block_stop")]
    events = openai_events(translate_stream(cut, 7, include_usage=True))
    assert events[-2]["error"]["type"] == "server_error"
    assert "ended before the message was complete" in events[-2]["error"]["message"]
    assert events[-1] == "[DONE]"


def test_a_stream_missing_only_message_stop_still_finishes() -> None:
    unstopped = STREAM[: STREAM.index(b"event: message_stop")]
    assert translate_stream(unstopped, None, True) == translate_stream(STREAM, None, True)


# --- against the fake provider ------------------------------------------------------------

CONVERSATION = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "Say something about heliographs."}]},
    ],
}
BASE_PROMPT = prompt_tokens(["You are terse.", "Say something about heliographs."])


def post(fake: FakeProvider, stream: bool, behaviour: str, **extra: Any) -> httpx.Response:
    call = ADAPTER.chat_request({**CONVERSATION, **extra}, MODEL, "sk-ant-test", stream)
    headers = {**call.headers, "x-fake-behaviour": behaviour}
    return httpx.request(call.method, fake.url + call.path, headers=headers, content=call.body)


@pytest.mark.parametrize(("max_tokens", "words", "finish"), [(None, 20, "stop"), (5, 5, "length")])
def test_a_real_answer_from_the_fake(
    fake_provider: FakeProvider, max_tokens: int | None, words: int, finish: str
) -> None:
    extra = {"max_tokens": max_tokens} if max_tokens else {}
    response = post(fake_provider, False, "cache_read=5,cache_write=3", **extra)
    assert response.status_code == 200
    assert fake_provider.calls[-1].json()["system"] == "You are terse."

    completion = ChatCompletion.model_validate_json(ADAPTER.chat_response(response.content, MODEL))
    assert completion.model == MODEL
    assert completion.choices[0].message.content == sentence(20).limited(max_tokens).text
    assert completion.choices[0].finish_reason == finish
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == BASE_PROMPT + 5 + 3
    assert completion.usage.completion_tokens == words
    assert completion.usage.total_tokens == BASE_PROMPT + 8 + words
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 5


@pytest.mark.parametrize("include_usage", [True, False])
def test_a_real_stream_from_the_fake(fake_provider: FakeProvider, include_usage: bool) -> None:
    call = ADAPTER.chat_request(CONVERSATION, MODEL, "sk-ant-test", True)
    headers = {**call.headers, "x-fake-behaviour": "chunks=6,words=12,cache_read=4"}
    translator = ADAPTER.chat_stream(MODEL, include_usage)
    out = b""
    with httpx.stream(
        "POST", fake_provider.url + call.path, headers=headers, content=call.body
    ) as r:
        assert r.status_code == 200
        for piece in r.iter_raw(chunk_size=7):
            out += translator.feed(piece)
    out += translator.finish()

    *data, done = [event.data for event in parse_events(out)]
    assert done == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(chunk) for chunk in data]
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in with_choices) == sentence(12).text
    assert with_choices[-1].choices[0].finish_reason == "stop"
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    if include_usage:
        assert not chunks[-1].choices
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.prompt_tokens == BASE_PROMPT + 4
        assert chunks[-1].usage.completion_tokens == 12
    else:
        assert all(chunk.usage is None for chunk in chunks)


def test_an_anthropic_rate_limit_becomes_an_openai_error(fake_provider: FakeProvider) -> None:
    response = post(fake_provider, False, "status=429")
    assert response.status_code == 429
    error = orjson.loads(ADAPTER.error_response(response.status_code, response.content))["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith("Number of request tokens has exceeded")

"""BedrockChatAdapter: OpenAI chat completions to Bedrock's Converse API, SigV4, and back."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import botocore.auth
import httpx
import orjson
import pytest
from botocore.eventstream import EventStreamBuffer
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from heliograph.errors import AuthError, InvalidRequestError, UpstreamError
from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.bedrock import event, exception, frame
from heliograph.mock_provider.generation import prompt_tokens, sentence
from heliograph.providers.aws_eventstream import EventStreamDecoder, EventStreamError
from heliograph.providers.bedrock_chat import BedrockChatAdapter
from heliograph.providers.chat import ChatAdapter
from heliograph.providers.sse import parse_events

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ADAPTER: ChatAdapter = BedrockChatAdapter()
USER = {"role": "user", "content": "Hi"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
KEY_ID, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2lu"
REGION = "us-east-1"
HOST = f"https://bedrock-runtime.{REGION}.amazonaws.com"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS setting from the developer's machine: no profile, no files, no instance role."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def credentials(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    aws_env.setenv("AWS_SESSION_TOKEN", TOKEN)


def translated(body: dict[str, Any], stream: bool = False) -> dict[str, Any]:
    call = ADAPTER.chat_request(body, MODEL, "", stream)
    result = orjson.loads(call.body)
    assert isinstance(result, dict)
    return result


def answered(response: dict[str, Any]) -> dict[str, Any]:
    completion: dict[str, Any] = orjson.loads(ADAPTER.chat_response(orjson.dumps(response), MODEL))
    assert isinstance(completion["created"], int)
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{32}", completion["id"])
    del completion["created"], completion["id"]
    return completion


def converse(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19},
        "metrics": {"latencyMs": 321},
    }


# --- requests ---------------------------------------------------------------------------


def test_the_call_goes_to_converse_with_the_model_in_the_path() -> None:
    call = ADAPTER.chat_request({"messages": [USER]}, MODEL, "", False)
    assert (call.method, call.path) == (
        "POST",
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
    )
    assert call.headers == {"content-type": "application/json"}
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude"
    streamed = ADAPTER.chat_request({"messages": [USER]}, arn, "", True)
    assert streamed.path == f"/model/{arn.replace(':', '%3A').replace('/', '%2F')}/converse-stream"


def test_a_minimal_request() -> None:
    body = {"model": "bedrock/claude", "messages": [USER]}
    assert translated(body) == {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}


def test_sampling_parameters_map_and_openai_only_ones_are_dropped() -> None:
    body = {
        "messages": [USER],
        "max_tokens": 100,
        "max_completion_tokens": 200,  # the newer name wins
        "temperature": 1.4,  # Converse allows up to 1
        "top_p": 0.9,
        "stop": ["END", "\n", "", 7],
        "n": 1,
        "seed": 7,
        "user": "user-42",
        "logprobs": False,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.5,
        "logit_bias": {"50256": -100},
        "stream_options": {"include_usage": True},
        "parallel_tool_calls": True,
        "reasoning_effort": "low",
        "response_format": {"type": "text"},
    }
    request = translated(body, stream=True)
    assert request["inferenceConfig"] == {
        "maxTokens": 200,
        "temperature": 1,
        "topP": 0.9,
        "stopSequences": ["END"],
    }
    assert set(request) == {"messages", "inferenceConfig"}


def test_a_string_stop_and_max_tokens() -> None:
    request = translated({"messages": [USER], "stop": "###", "max_tokens": 5})
    assert request["inferenceConfig"] == {"maxTokens": 5, "stopSequences": ["###"]}


def test_n_above_one_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="n > 1"):
        translated({"messages": [USER], "n": 2})


def test_system_and_developer_messages_become_system_blocks() -> None:
    request = translated(
        {
            "messages": [
                {"role": "system", "content": "Be terse."},
                USER,
                {"role": "developer", "content": [{"type": "text", "text": "Cite sources."}]},
                {"role": "system", "content": "  "},  # Converse refuses blank text
            ]
        }
    )
    assert request["system"] == [{"text": "Be terse."}, {"text": "Cite sources."}]
    assert request["messages"] == [{"role": "user", "content": [{"text": "Hi"}]}]


def test_images_from_data_urls() -> None:
    parts = [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": f"data:image/jpg;base64,{PNG}"},
        {"type": "text", "text": ""},
        {"type": "image_url", "image_url": {"url": f"data:image/webp;base64,{PNG}"}},
    ]
    assert translated({"messages": [{"role": "user", "content": parts}]})["messages"] == [
        {
            "role": "user",
            "content": [
                {"text": "Compare these."},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
                {"image": {"format": "jpeg", "source": {"bytes": PNG}}},
                {"image": {"format": "webp", "source": {"bytes": PNG}}},
            ],
        }
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}},
        {"type": "image_url", "image_url": {"url": f"data:image/tiff;base64,{PNG}"}},
        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
        "Hi",
    ],
)
def test_parts_bedrock_cannot_take_are_refused(part: Any) -> None:
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
PARIS_CALL = {
    "id": "call_01",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def test_tool_calls_and_tool_results_become_tool_use_and_tool_result_blocks() -> None:
    rome = {**PARIS_CALL, "id": "call_02", "function": {"name": "get_weather", "arguments": ""}}
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Checking both.", "tool_calls": [PARIS_CALL, rome]},
        {"role": "tool", "tool_call_id": "call_01", "content": '{"celsius": 18}'},
        {"role": "tool", "tool_call_id": "call_02", "content": [{"type": "text", "text": "24C"}]},
        {"role": "tool", "tool_call_id": "call_03", "content": "[1, 2]"},
        {"role": "tool", "tool_call_id": "call_04", "content": ""},
        {"role": "user", "content": "Which is warmer?"},
    ]
    request = translated({"messages": messages, "tools": [WEATHER_TOOL]})
    assert request["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"text": "Checking both."},
                {
                    "toolUse": {
                        "toolUseId": "call_01",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                },
                {"toolUse": {"toolUseId": "call_02", "name": "get_weather", "input": {}}},
            ],
        },
        {
            "role": "user",  # every result and the next question in one user turn
            "content": [
                {"toolResult": {"toolUseId": "call_01", "content": [{"json": {"celsius": 18}}]}},
                {"toolResult": {"toolUseId": "call_02", "content": [{"text": "24C"}]}},
                {"toolResult": {"toolUseId": "call_03", "content": [{"text": "[1, 2]"}]}},
                {"toolResult": {"toolUseId": "call_04", "content": []}},
                {"text": "Which is warmer?"},
            ],
        },
    ]


def test_a_tool_call_answer_goes_back_as_the_same_tool_use() -> None:
    use = {
        "toolUse": {"toolUseId": "tooluse_01", "name": "get_weather", "input": {"city": "Paris"}}
    }
    reply = answered(converse([use], "tool_use"))["choices"][0]["message"]
    follow_up = [USER, reply, {"role": "tool", "tool_call_id": "tooluse_01", "content": "18C"}]
    request = translated({"messages": follow_up, "tools": [WEATHER_TOOL]})
    assert request["messages"][1] == {"role": "assistant", "content": [use]}


def test_consecutive_turns_of_one_role_are_merged_and_empty_ones_skipped() -> None:
    messages = [
        {"role": "user", "content": "One."},
        {"role": "user", "content": [{"type": "text", "text": "Two."}]},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "user", "content": "Three."},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        {"role": "assistant", "content": "Sure"},
    ]
    assert translated({"messages": messages})["messages"] == [
        {"role": "user", "content": [{"text": "One."}, {"text": "Two."}, {"text": "Three."}]},
        {"role": "assistant", "content": [{"text": "No."}, {"text": "Sure"}]},
    ]


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]"])
def test_tool_call_arguments_that_are_not_an_object_are_refused(arguments: str) -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    with pytest.raises(InvalidRequestError, match="JSON object"):
        translated({"messages": [USER, {"role": "assistant", "tool_calls": [call]}]})


def test_function_tools_become_tool_specs() -> None:
    bare = {"type": "function", "function": {"name": "now"}}
    assert translated({"messages": [USER], "tools": [WEATHER_TOOL, bare]})["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "inputSchema": {
                        "json": {"type": "object", "properties": {"city": {"type": "string"}}}
                    },
                }
            },
            {
                "toolSpec": {
                    "name": "now",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                }
            },
        ]
    }


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", {"auto": {}}),
        ("required", {"any": {}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"tool": {"name": "get_weather"}},
        ),
        (None, None),
    ],
)
def test_tool_choice(tool_choice: Any, expected: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"messages": [USER], "tools": [WEATHER_TOOL]}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    assert translated(body)["toolConfig"].get("toolChoice") == expected


def test_tool_choice_none_drops_the_tools_unless_the_conversation_used_them() -> None:
    assert "toolConfig" not in translated(
        {"messages": [USER], "tools": [WEATHER_TOOL], "tool_choice": "none"}
    )
    history = [
        USER,
        {"role": "assistant", "tool_calls": [PARIS_CALL]},
        {"role": "tool", "tool_call_id": "call_01", "content": "18C"},
    ]
    request = translated({"messages": history, "tools": [WEATHER_TOOL], "tool_choice": "none"})
    assert request["toolConfig"] == {"tools": [translated_tool()]}


def translated_tool() -> dict[str, Any]:
    config = translated({"messages": [USER], "tools": [WEATHER_TOOL]})["toolConfig"]
    tool: dict[str, Any] = config["tools"][0]
    return tool


def test_tool_choice_without_tools_and_non_function_tools() -> None:
    assert "toolConfig" not in translated({"messages": [USER], "tool_choice": "required"})
    with pytest.raises(InvalidRequestError, match="only function tools"):
        translated({"messages": [USER], "tools": [{"type": "web_search"}]})


def test_json_mode_becomes_a_system_instruction() -> None:
    request = translated({"messages": [USER], "response_format": {"type": "json_object"}})
    assert request["system"][0]["text"].startswith("Answer with a single valid JSON object")
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    system = {"role": "system", "content": "Be terse."}
    request = translated({"messages": [system, USER], "response_format": response_format})
    first, instruction = request["system"]
    assert first == {"text": "Be terse."}
    assert instruction["text"].endswith(orjson.dumps(schema).decode())


@pytest.mark.parametrize(
    "messages",
    [[], None, [{"role": "function", "content": "x"}], ["Hi"], [{"role": "user", "content": 3}]],
)
def test_malformed_messages_are_refused(messages: Any) -> None:
    with pytest.raises(InvalidRequestError):
        translated({"messages": messages})


# --- responses ----------------------------------------------------------------------------


def test_a_text_answer() -> None:
    assert answered(converse([{"text": "Hello"}, {"text": " there."}])) == {
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


def test_tool_use_and_reasoning_in_an_answer() -> None:
    content: list[dict[str, Any]] = [
        {"reasoningContent": {"reasoningText": {"text": "Need weather.", "signature": "EqQB"}}},
        {"toolUse": {"toolUseId": "tooluse_01", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "tooluse_02", "name": "now", "input": {}}},
    ]
    choice = answered(converse(content, "tool_use"))["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "reasoning_content": "Need weather.",
        "tool_calls": [
            {
                "id": "tooluse_01",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {
                "id": "tooluse_02",
                "type": "function",
                "function": {"name": "now", "arguments": "{}"},
            },
        ],
    }


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("content_filtered", "content_filter"),
        ("guardrail_intervened", "content_filter"),
        ("something_new", "stop"),
    ],
)
def test_finish_reasons(stop_reason: str, finish: str) -> None:
    answer = answered(converse([{"text": "x"}], stop_reason))
    assert answer["choices"][0]["finish_reason"] == finish


def test_cache_reads_and_writes_count_as_prompt_tokens() -> None:
    cached = converse([{"text": "x"}])
    cached["usage"] = {
        "inputTokens": 5,
        "outputTokens": 9,
        "totalTokens": 1214,
        "cacheReadInputTokens": 1000,
        "cacheWriteInputTokens": 200,
    }
    assert answered(cached)["usage"] == {
        "prompt_tokens": 1205,
        "completion_tokens": 9,
        "total_tokens": 1214,
        "prompt_tokens_details": {"cached_tokens": 1000, "cache_creation_input_tokens": 200},
    }


@pytest.mark.parametrize("data", [b'{"output": {"mess', b"[1, 2]"])
def test_an_answer_that_is_not_a_converse_response_is_an_upstream_error(data: bytes) -> None:
    with pytest.raises(UpstreamError):
        ADAPTER.chat_response(data, MODEL)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"message": "Malformed input"}, ("Malformed input", "invalid_request_error", None)),
        (403, {"Message": "Bad token."}, ("Bad token.", "authentication_error", None)),
        (404, {"message": "No such model"}, ("No such model", "not_found_error", None)),
        (424, {"message": "Model failed"}, ("Model failed", "server_error", None)),
        (429, {"message": "Slow down"}, ("Slow down", "rate_limit_error", "rate_limit_exceeded")),
        (500, {"message": "Internal"}, ("Internal", "server_error", None)),
        (503, b"", ("Bedrock answered HTTP 503", "server_error", None)),
        (502, b"<html>Bad gateway</html>\n", ("<html>Bad gateway</html>", "server_error", None)),
    ],
)
def test_errors_in_openais_shape(
    status: int, body: bytes | dict[str, str], expected: tuple[str, str, str | None]
) -> None:
    message, kind, code = expected
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    assert orjson.loads(ADAPTER.error_response(status, data)) == {
        "error": {"message": message, "type": kind, "param": None, "code": code}
    }


# --- the event stream ---------------------------------------------------------------------


def delta(index: int, change: dict[str, Any]) -> bytes:
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": change})


STREAM_USAGE_IN = {
    "inputTokens": 30,
    "outputTokens": 42,
    "totalTokens": 86,
    "cacheReadInputTokens": 10,
    "cacheWriteInputTokens": 4,
}
TOOL_START = {"toolUse": {"toolUseId": "tooluse_01", "name": "get_weather"}}
EVENTS = [
    event("messageStart", {"role": "assistant"}),
    delta(0, {"reasoningContent": {"text": "Need the weather."}}),
    delta(0, {"reasoningContent": {"signature": "EqQB"}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    delta(1, {"text": "Checking "}),
    delta(1, {"text": "la météo ☀."}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event("contentBlockStart", {"contentBlockIndex": 2, "start": TOOL_START}),
    delta(2, {"toolUse": {"input": '{"city": "Pa'}}),
    delta(2, {"toolUse": {"input": 'ris"}'}}),
    event("contentBlockStop", {"contentBlockIndex": 2}),
    event("messageStop", {"stopReason": "tool_use"}),
    event("metadata", {"usage": STREAM_USAGE_IN, "metrics": {"latencyMs": 512}}),
]
STREAM = b"".join(EVENTS)
EXPECTED_DELTAS: list[tuple[dict[str, Any], str | None]] = [
    ({"role": "assistant", "content": ""}, None),
    ({"reasoning_content": "Need the weather."}, None),
    ({"content": "Checking "}, None),
    ({"content": "la météo ☀."}, None),
    (
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "tooluse_01",
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
    for data in events:
        if isinstance(data, dict) and "id" in data:
            assert data["id"].startswith("chatcmpl-")
            del data["created"], data["id"]
    return events


def expected_chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
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
        expected.append({**expected_chunk({}, None), "choices": [], "usage": STREAM_USAGE})
    expected.append("[DONE]")
    assert openai_events(translate_stream(STREAM, piece, include_usage)) == expected


def test_the_decoder_agrees_with_botocores() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(STREAM)
    theirs = [(dict(m.headers), m.payload) for m in buffer]
    decoder = EventStreamDecoder()
    ours = [m for i in range(0, len(STREAM), 5) for m in decoder.feed(STREAM[i : i + 5])]
    assert [(m.headers, m.payload) for m in ours] == theirs
    assert decoder.pending == 0


def test_the_decoder_reads_every_header_type() -> None:
    raw_headers = b"".join(
        [
            b"\x01t\x00",
            b"\x01f\x01",
            b"\x01b\x02\xff",
            b"\x01s\x03" + struct.pack("!h", -2),
            b"\x01i\x04" + struct.pack("!i", 70000),
            b"\x01l\x05" + struct.pack("!q", 2**40),
            b"\x01a\x06\x00\x02\x00\x01",
            b"\x01u\x07\x00\x03\xe2\x98\x80",
            b"\x02ts\x08" + struct.pack("!q", 1700000000000),
            b"\x02id\x09" + uuid.UUID(int=1).bytes,
        ]
    )
    prelude = struct.pack("!II", 12 + len(raw_headers) + 2 + 4, len(raw_headers))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + raw_headers + b"{}"
    message += struct.pack("!I", zlib.crc32(message))
    [decoded] = EventStreamDecoder().feed(message)
    assert decoded.headers == {
        "t": True,
        "f": False,
        "b": -1,
        "s": -2,
        "i": 70000,
        "l": 2**40,
        "a": b"\x00\x01",
        "u": "☀",
        "ts": 1700000000000,
        "id": uuid.UUID(int=1).bytes,
    }
    assert decoded.payload == b"{}"


def corrupt(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]


@pytest.mark.parametrize(
    ("where", "reason"),
    [(-6, "message CRC mismatch"), (2, "prelude CRC mismatch"), (10, "prelude CRC mismatch")],
)
def test_the_decoder_checks_both_crcs(where: int, reason: str) -> None:
    good = EVENTS[4]
    with pytest.raises(EventStreamError, match=reason):
        list(EventStreamDecoder().feed(corrupt(good, where % len(good))))


@pytest.mark.parametrize("piece", [1, 7, None])
def test_a_crc_mismatch_ends_the_stream_with_an_error(piece: int | None) -> None:
    start = sum(len(e) for e in EVENTS[:4])  # the first text delta, its payload flipped
    broken = corrupt(STREAM, start + len(EVENTS[4]) - 10)
    assert openai_events(translate_stream(broken, piece, include_usage=True)) == [
        expected_chunk({"role": "assistant", "content": ""}, None),
        expected_chunk({"reasoning_content": "Need the weather."}, None),
        {
            "error": {
                "message": "Bedrock's event stream is corrupt: message CRC mismatch",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
        "[DONE]",
    ]


def test_an_impossible_length_is_corrupt() -> None:
    prelude = struct.pack("!II", 8, 0)
    with pytest.raises(EventStreamError, match="impossible message length"):
        list(EventStreamDecoder().feed(prelude + struct.pack("!I", zlib.crc32(prelude))))


@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [
        ("throttlingException", "rate_limit_error", "throttlingException"),
        ("validationException", "invalid_request_error", "validationException"),
        ("modelStreamErrorException", "server_error", "modelStreamErrorException"),
        ("internalServerException", "server_error", "internalServerException"),
        ("somethingNewException", "server_error", "somethingNewException"),
    ],
)
def test_an_exception_event_ends_the_stream_with_an_openai_error(
    name: str, kind: str, code: str
) -> None:
    raw = EVENTS[0] + EVENTS[4] + exception(name, "It went wrong.") + EVENTS[5]
    assert openai_events(translate_stream(raw, 3, include_usage=True)) == [
        expected_chunk({"role": "assistant", "content": ""}, None),
        expected_chunk({"content": "Checking "}, None),
        {"error": {"message": "It went wrong.", "type": kind, "param": None, "code": code}},
        "[DONE]",
    ]


def test_an_error_message_ends_the_stream() -> None:
    error = frame(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "Oops"}, b""
    )
    events = openai_events(translate_stream(EVENTS[0] + error, None, include_usage=False))
    assert events[1] == {
        "error": {
            "message": "Oops",
            "type": "server_error",
            "param": None,
            "code": "InternalFailure",
        }
    }


def test_a_stream_cut_short_ends_with_an_error() -> None:
    cut = STREAM[: sum(len(e) for e in EVENTS[:6]) + 20]  # partway into a message
    events = openai_events(translate_stream(cut, 7, include_usage=True))
    assert events[-2]["error"]["type"] == "server_error"
    assert "ended before the message was complete" in events[-2]["error"]["message"]
    assert events[-1] == "[DONE]"


def test_a_stream_missing_only_the_metadata_still_finishes() -> None:
    unmeasured = b"".join(EVENTS[:-1])
    events = openai_events(translate_stream(unmeasured, None, include_usage=True))
    assert events[-2:] == [expected_chunk({}, "tool_calls"), "[DONE]"]


# --- SigV4 --------------------------------------------------------------------------------

URL = f"{HOST}/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
BODY = b'{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}'
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(\d{8})/(?P<region>[a-z0-9-]+)/bedrock/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)
NOW = datetime.datetime(2025, 1, 2, 3, 4, 5)
BEHAVIOUR = {"x-fake-behaviour": "words=3"}


def signed(
    region: str = REGION, body: bytes = BODY, url: str = URL, headers: dict[str, str] | None = None
) -> dict[str, str]:
    adapter = BedrockChatAdapter()
    return adapter.sign(url, {"content-type": "application/json", **(headers or {})}, body, region)


def signature(headers: dict[str, str]) -> str:
    found = AUTHORIZATION.fullmatch(headers["Authorization"])
    assert found is not None, headers["Authorization"]
    return found["signature"]


@pytest.mark.usefixtures("credentials")
def test_signing_adds_sigv4_headers() -> None:
    headers = signed(headers=BEHAVIOUR)
    assert set(headers) == {
        "content-type",
        "x-fake-behaviour",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "Authorization",
    }
    assert re.fullmatch(r"\d{8}T\d{6}Z", headers["X-Amz-Date"])
    assert headers["X-Amz-Security-Token"] == TOKEN
    found = AUTHORIZATION.fullmatch(headers["Authorization"])
    assert found is not None
    assert found[1] == headers["X-Amz-Date"][:8]
    assert found["region"] == REGION
    assert found["signed"] == "content-type;host;x-amz-date;x-amz-security-token;x-fake-behaviour"


@pytest.mark.usefixtures("credentials")
def test_the_signature_is_sigv4s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recomputed here from the SigV4 spec: bedrock's scope, the path encoded twice."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    amz_date = "20250102T030405Z"
    canonical = "\n".join(
        [
            "POST",
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse",
            "",
            "content-type:application/json",
            f"host:bedrock-runtime.{REGION}.amazonaws.com",
            f"x-amz-date:{amz_date}",
            f"x-amz-security-token:{TOKEN}",
            "",
            "content-type;host;x-amz-date;x-amz-security-token",
            hashlib.sha256(BODY).hexdigest(),
        ]
    )
    scope = f"20250102/{REGION}/bedrock/aws4_request"
    to_sign = (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )
    key = f"AWS4{SECRET}".encode()
    for part in ("20250102", REGION, "bedrock", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert signature(signed()) == expected


@pytest.mark.usefixtures("credentials")
def test_the_signature_covers_body_url_region_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    base = signature(signed())
    assert signature(signed()) == base  # deterministic at a fixed time
    variants = [
        signed(body=BODY.replace(b"Hi", b"Ho")),
        signed(url=URL + "-stream"),
        signed(region="eu-west-1"),
        signed(headers=BEHAVIOUR),
    ]
    assert len({base, *map(signature, variants)}) == 5


def test_no_session_token_no_security_token_header(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    headers = signed()
    assert "X-Amz-Security-Token" not in headers
    assert "SignedHeaders=content-type;host;x-amz-date," in headers["Authorization"]


@pytest.mark.usefixtures("credentials")
def test_credentials_are_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = BedrockChatAdapter()
    first = adapter.sign(URL, {}, BODY, REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDOTHER")
    second = adapter.sign(URL, {}, BODY, REGION)
    assert "Credential=AKIDEXAMPLE/" in first["Authorization"]
    assert "Credential=AKIDEXAMPLE/" in second["Authorization"]
    assert (
        "Credential=AKIDOTHER/" in BedrockChatAdapter().sign(URL, {}, BODY, REGION)["Authorization"]
    )


@pytest.mark.usefixtures("aws_env")
def test_no_credentials_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="No AWS credentials found") as raised:
        BedrockChatAdapter().sign(URL, {}, BODY, REGION)
    assert raised.value.status == 401


def test_unusable_credentials_are_an_auth_error(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(AuthError, match="unusable: The config profile \\(no-such-profile\\)"):
        BedrockChatAdapter().sign(URL, {}, BODY, REGION)


# --- against the fake provider ------------------------------------------------------------

CONVERSATION: dict[str, Any] = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "Say something about heliographs."}]},
    ],
}
BASE_PROMPT = prompt_tokens(["You are terse.", "Say something about heliographs."])


def send(
    fake: FakeProvider, body: dict[str, Any], stream: bool, behaviour: str = ""
) -> tuple[BedrockChatAdapter, httpx.Request]:
    adapter = BedrockChatAdapter()
    call = adapter.chat_request(body, MODEL, "", stream)
    url = fake.url + call.path
    headers = {**call.headers, "x-fake-behaviour": behaviour} if behaviour else call.headers
    signed_headers = adapter.sign(url, headers, call.body, REGION)
    return adapter, httpx.Request(call.method, url, headers=signed_headers, content=call.body)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(("max_tokens", "words", "finish"), [(None, 20, "stop"), (5, 5, "length")])
def test_a_real_answer_from_the_fake(
    fake_provider: FakeProvider, max_tokens: int | None, words: int, finish: str
) -> None:
    body = {**CONVERSATION, **({"max_tokens": max_tokens} if max_tokens else {})}
    adapter, request = send(fake_provider, body, False, "cache_read=5,cache_write=3")
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 200
    received = fake_provider.calls[-1]
    assert received.path == f"/model/{MODEL}/converse"
    assert received.json()["system"] == [{"text": "You are terse."}]
    assert received.headers["x-amz-security-token"] == TOKEN

    completion = ChatCompletion.model_validate_json(adapter.chat_response(response.content, MODEL))
    assert completion.model == MODEL
    assert completion.choices[0].message.content == sentence(20).limited(max_tokens).text
    assert completion.choices[0].finish_reason == finish
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == BASE_PROMPT + 5 + 3
    assert completion.usage.completion_tokens == words
    assert completion.usage.total_tokens == BASE_PROMPT + 8 + words
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 5


def streamed(adapter: BedrockChatAdapter, request: httpx.Request, include_usage: bool) -> list[Any]:
    translator = adapter.chat_stream(MODEL, include_usage)
    out = b""
    with httpx.Client() as client:
        response = client.send(request, stream=True)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        for piece in response.iter_raw(chunk_size=7):
            out += translator.feed(piece)
        response.close()
    out += translator.finish()
    *data, done = [e.data for e in parse_events(out)]
    assert done == "[DONE]"
    return [ChatCompletionChunk.model_validate(chunk) for chunk in data]


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("include_usage", [True, False])
def test_a_real_stream_from_the_fake(fake_provider: FakeProvider, include_usage: bool) -> None:
    adapter, request = send(fake_provider, CONVERSATION, True, "chunks=6,words=12,cache_read=4")
    chunks = streamed(adapter, request, include_usage)
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in with_choices) == sentence(12).text
    assert len(with_choices) == 1 + 6 + 1
    assert with_choices[-1].choices[0].finish_reason == "stop"
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    if include_usage:
        assert not chunks[-1].choices
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.prompt_tokens == BASE_PROMPT + 4
        assert chunks[-1].usage.completion_tokens == 12
    else:
        assert all(chunk.usage is None for chunk in chunks)


@pytest.mark.usefixtures("credentials")
def test_a_real_tool_round_trip_with_the_fake(fake_provider: FakeProvider) -> None:
    asking: dict[str, Any] = {
        "messages": [{"role": "user", "content": "call a tool"}],
        "tools": [WEATHER_TOOL],
    }
    adapter, request = send(fake_provider, asking, False)
    with httpx.Client() as client:
        answer = ChatCompletion.model_validate_json(
            adapter.chat_response(client.send(request).content, MODEL)
        )
    assert answer.choices[0].finish_reason == "tool_calls"
    [call] = answer.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert orjson.loads(call.function.arguments) == {"city": "heliograph"}  # type: ignore[union-attr]

    # The call and its result go back; Bedrock's rules (alternation, toolConfig) still hold.
    reply = answer.choices[0].message.model_dump(exclude_none=True)
    result = {"role": "tool", "tool_call_id": call.id, "content": '{"celsius": 18}'}
    following = {**asking, "messages": [*asking["messages"], reply, result]}
    adapter, request = send(fake_provider, following, True, "words=3")
    chunks = streamed(adapter, request, include_usage=True)
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == sentence(3).text
    )
    sent = fake_provider.calls[-1].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[2]["content"] == [
        {"toolResult": {"toolUseId": call.id, "content": [{"json": {"celsius": 18}}]}}
    ]


@pytest.mark.usefixtures("credentials")
def test_a_real_tool_call_stream_from_the_fake(fake_provider: FakeProvider) -> None:
    asking: dict[str, Any] = {
        "messages": [{"role": "user", "content": "call a tool"}],
        "tools": [WEATHER_TOOL],
    }
    adapter, request = send(fake_provider, asking, True)
    chunks = streamed(adapter, request, include_usage=True)
    calls = [
        c.choices[0].delta.tool_calls[0]
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
    ]
    assert calls[0].id is not None and calls[0].id.startswith("tooluse_")
    assert (
        "".join(c.function.arguments or "" for c in calls if c.function) == '{"city":"heliograph"}'
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


@pytest.mark.usefixtures("credentials")
def test_a_bedrock_throttle_becomes_an_openai_error(fake_provider: FakeProvider) -> None:
    adapter, request = send(fake_provider, CONVERSATION, True, "status=429")
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 429
    error = orjson.loads(adapter.error_response(response.status_code, response.content))["error"]
    assert error == {
        "message": "Too many requests, please wait before trying again.",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }


def test_an_unsigned_request_is_an_authentication_error(fake_provider: FakeProvider) -> None:
    call = ADAPTER.chat_request(CONVERSATION, MODEL, "", False)
    response = httpx.post(fake_provider.url + call.path, headers=call.headers, content=call.body)
    error = orjson.loads(ADAPTER.error_response(response.status_code, response.content))["error"]
    assert (response.status_code, error["type"]) == (403, "authentication_error")
    assert error["message"] == "Missing Authentication Token"

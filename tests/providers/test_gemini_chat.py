"""The Gemini adapter: OpenAI chat requests out, Gemini answers, streams and errors back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from heliograph.errors import InvalidRequestError, UpstreamError
from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.generation import sentence
from heliograph.providers.chat import ChatAdapter
from heliograph.providers.gemini_chat import GeminiChatAdapter, gemini_request
from heliograph.providers.gemini_stream import SIGNATURE_MARK, GeminiStreamTranslator

ADAPTER = GeminiChatAdapter()
MODEL = "gemini-2.5-flash"
HELLO = [{"role": "user", "content": "Hello there"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def request_of(**body: Any) -> dict[str, Any]:
    """The Gemini JSON the adapter sends for an OpenAI body."""
    call = ADAPTER.chat_request({"model": MODEL, "messages": HELLO, **body}, MODEL, "k", False)
    parsed: dict[str, Any] = orjson.loads(call.body)
    return parsed


def test_adapter_meets_the_protocol() -> None:
    adapter: ChatAdapter = ADAPTER
    assert (adapter.name, adapter.provider) == ("google", "GOOGLE")


# OpenAI request -> Gemini request


def test_paths_and_headers_keep_the_key_out_of_the_url() -> None:
    plain = ADAPTER.chat_request({"messages": HELLO}, "models/gemini-2.5-pro", "AIza-secret", False)
    assert (plain.method, plain.path) == ("POST", "/v1beta/models/gemini-2.5-pro:generateContent")
    assert plain.headers == {"content-type": "application/json", "x-goog-api-key": "AIza-secret"}
    streamed = ADAPTER.chat_request({"messages": HELLO}, MODEL, "AIza-secret", True)
    assert streamed.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert "AIza-secret" not in plain.path + streamed.path
    assert b"AIza-secret" not in plain.body


def test_system_developer_and_turns() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": [{"type": "text", "text": "Still there?"}]},
        {"role": "assistant", "content": "Yes."},
        {"role": "assistant", "content": ""},  # nothing to send: dropped
        {"role": "user", "content": "Good."},
    ]
    assert request_of(messages=messages) == {
        "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Use metric units."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}, {"text": "Still there?"}]},
            {"role": "model", "parts": [{"text": "Yes."}]},
            {"role": "user", "parts": [{"text": "Good."}]},
        ],
    }


def test_images_audio_and_files() -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a/cat.webp?size=2"}},
        {"type": "image_url", "image_url": "https://example.com/no-extension"},
        {"type": "image_url", "image_url": {"url": "data:text/plain,hello%20world"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "mp3"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
    ]
    [turn] = request_of(messages=[{"role": "user", "content": content}])["contents"]
    assert turn["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/png", "data": png}},
        {
            "fileData": {
                "mimeType": "image/webp",
                "fileUri": "https://example.com/a/cat.webp?size=2",
            }
        },
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/no-extension"}},
        {
            "inlineData": {
                "mimeType": "text/plain",
                "data": base64.b64encode(b"hello world").decode(),
            }
        },
        {"inlineData": {"mimeType": "audio/mp3", "data": "UklGRg=="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
    ]


def test_content_gemini_cannot_take_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="file_id"):
        request_of(
            messages=[{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]
        )
    with pytest.raises(InvalidRequestError, match="answers no earlier tool call"):
        request_of(messages=[*HELLO, {"role": "tool", "tool_call_id": "nope", "content": "1"}])


def test_tool_calls_and_results() -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": ""},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "noon"}]},
        {"role": "user", "content": "And [1, 2]?"},
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": "[1, 2]"},
    ]
    assert request_of(messages=messages)["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Paris and Oslo?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "get_time", "args": {}}},
            ],
        },
        {
            "role": "user",  # tool results and the next user text merge into one user turn
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
                {"functionResponse": {"name": "get_time", "response": {"content": "noon"}}},
                {"text": "And [1, 2]?"},
            ],
        },
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"arguments": [1]}}}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "f", "response": {"content": [1, 2]}}}],
        },
    ]


def test_thought_signatures_travel_in_the_tool_call_id() -> None:
    def model_turn(model: str, *calls: dict[str, Any]) -> list[dict[str, Any]]:
        messages = [*HELLO, {"role": "assistant", "tool_calls": list(calls)}]
        body = {"messages": messages}
        parts: list[dict[str, Any]] = gemini_request(body, model)["contents"][1]["parts"]
        return parts

    signed = {"id": f"call_1{SIGNATURE_MARK}c2ln+/=", "function": {"name": "f", "arguments": "{}"}}
    extra = {
        "id": "call_2",
        "function": {"name": "g", "arguments": "{}"},
        "extra_content": {"google": {"thought_signature": "ZXh0cmE="}},
    }
    bare = {"id": "call_3", "function": {"name": "h", "arguments": "{}"}}
    assert [p.get("thoughtSignature") for p in model_turn(MODEL, signed, extra, bare)] == [
        "c2ln+/=",
        "ZXh0cmE=",
        None,
    ]
    # Gemini 3 refuses a replayed call without one: the first call gets Google's bypass value.
    assert [p.get("thoughtSignature") for p in model_turn("gemini-3-pro", bare, bare)] == [
        "skip_thought_signature_validator",
        None,
    ]
    assert model_turn(MODEL, bare)[0].keys() == {"functionCall"}


def test_tools_with_json_schema_cut_to_what_gemini_accepts() -> None:
    address = {"type": "object", "properties": {"street": {"type": "string"}}}
    person = {
        "name": "save_person",
        "parameters": {
            "type": "object",
            "$defs": {"Address": address},
            "properties": {
                "name": {"type": ["string", "null"], "description": "Full name"},
                "home": {"$ref": "#/$defs/Address"},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "kind": {"const": "person"},
                "age": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "additionalProperties": False,
        },
    }
    tools = [
        WEATHER_TOOL,
        {"type": "function", "function": person},
        {
            "type": "function",
            "function": {"name": "now", "parameters": {"type": "object", "properties": {}}},
        },
        {"type": "custom", "custom": {"name": "grammar"}},  # OpenAI-only: left out
    ]
    assert request_of(tools=tools)["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "The weather in a city",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                        "required": ["city"],
                    },
                },
                {
                    "name": "save_person",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "name": {
                                "nullable": True,
                                "type": "string",
                                "description": "Full name",
                            },
                            "home": address,
                            "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                            "kind": {"enum": ["person"]},
                            "age": {"nullable": True, "anyOf": [{"type": "integer"}]},
                            "extra": {"type": "object"},
                        },
                    },
                },
                {"name": "now"},  # Gemini refuses an OBJECT without properties
            ]
        }
    ]


def test_recursive_refs_end() -> None:
    node = {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
    body = {
        "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}
    }
    assert request_of(**body)["generationConfig"]["responseSchema"] == {
        "type": "object",
        "properties": {"next": {}},
    }


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"functionCallingConfig": {"mode": "AUTO"}}),
        ("none", {"functionCallingConfig": {"mode": "NONE"}}),
        ("required", {"functionCallingConfig": {"mode": "ANY"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
        ),
        (None, None),
    ],
)
def test_tool_choice(choice: Any, config: Any) -> None:
    request = request_of(tools=[WEATHER_TOOL], tool_choice=choice)
    assert request.get("toolConfig") == config


def test_generation_config() -> None:
    request = request_of(
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        max_completion_tokens=100,  # the newer name wins
        stop="END",
        n=2,
        seed=7,
        presence_penalty=0.5,
        frequency_penalty=0,  # a no-op some Gemini models refuse: not sent
        reasoning_effort="low",
        logprobs=True,  # not mapped
    )
    assert request["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "candidateCount": 2,
        "seed": 7,
        "presencePenalty": 0.5,
        "maxOutputTokens": 100,
        "stopSequences": ["END"],
        "thinkingConfig": {"thinkingBudget": 1024},
    }
    assert request_of(max_tokens=5, stop=["a", "b"])["generationConfig"] == {
        "maxOutputTokens": 5,
        "stopSequences": ["a", "b"],
    }
    assert "generationConfig" not in request_of()


@pytest.mark.parametrize(("effort", "budget"), [("none", 0), ("minimal", 512), ("high", 24576)])
def test_reasoning_effort(effort: str, budget: int) -> None:
    config = request_of(reasoning_effort=effort)["generationConfig"]
    assert config == {"thinkingConfig": {"thinkingBudget": budget}}


def test_response_formats() -> None:
    assert "generationConfig" not in request_of(response_format={"type": "text"})
    assert request_of(response_format={"type": "json_object"})["generationConfig"] == {
        "responseMimeType": "application/json"
    }
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "strict": True, "schema": schema},
    }
    assert request_of(response_format=response_format)["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseSchema": {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        },
    }


# Gemini response -> OpenAI response


def completion_of(answer: dict[str, Any]) -> dict[str, Any]:
    data = ADAPTER.chat_response(orjson.dumps(answer), MODEL)
    ChatCompletion.model_validate_json(data)
    parsed: dict[str, Any] = orjson.loads(data)
    return parsed


def test_response_mapping() -> None:
    answer = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "Thinking it over.", "thought": True},
                        {"text": "Hello"},
                        {"text": " world.", "thoughtSignature": "c2ln"},
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 3,
            "totalTokenCount": 25,
            "cachedContentTokenCount": 8,
            "thoughtsTokenCount": 10,
        },
        "modelVersion": "gemini-2.5-flash-001",
        "responseId": "abcDEF123",
    }
    completion = completion_of(answer)
    created = completion.pop("created")
    assert isinstance(created, int) and created > 1_700_000_000
    assert completion == {
        "id": "chatcmpl-abcDEF123",
        "object": "chat.completion",
        "model": MODEL,  # the model asked for, not modelVersion
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello world.",
                    "refusal": None,
                    "reasoning_content": "Thinking it over.",
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 13,
            "total_tokens": 25,
            "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 10, "audio_tokens": 0},
        },
    }


def test_function_call_response() -> None:
    part = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    answer = {
        "candidates": [
            {
                "content": {"parts": [{**part, "thoughtSignature": "c2ln"}, part], "role": "model"},
                "finishReason": "STOP",
            }
        ],
        "responseId": "r1",
    }
    [choice] = completion_of(answer)["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    first, second = choice["message"]["tool_calls"]
    assert first["id"].startswith("call_") and first["id"].endswith(f"{SIGNATURE_MARK}c2ln")
    assert second["id"].startswith("call_") and SIGNATURE_MARK not in second["id"]
    assert first["id"].split(SIGNATURE_MARK)[0] != second["id"]
    assert second == {
        "id": second["id"],
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    # Ids are fixed by the response, so a stream and a JSON answer agree.
    assert completion_of(answer)["choices"][0]["message"]["tool_calls"][1]["id"] == second["id"]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("OTHER", "stop"),
    ],
)
def test_finish_reasons(reason: str, expected: str) -> None:
    answer = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": reason}]}
    assert completion_of(answer)["choices"][0]["finish_reason"] == expected


def test_several_candidates_and_a_blocked_prompt() -> None:
    answer = {
        "candidates": [
            {"content": {"parts": [{"text": "A"}]}, "finishReason": "STOP", "index": 0},
            {"content": {"parts": [{"text": "B"}]}, "finishReason": "MAX_TOKENS", "index": 1},
        ]
    }
    choices = completion_of(answer)["choices"]
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in choices] == [
        (0, "A", "stop"),
        (1, "B", "length"),
    ]
    blocked = completion_of({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {}})
    assert [(c["message"]["content"], c["finish_reason"]) for c in blocked["choices"]] == [
        (None, "content_filter")
    ]
    assert blocked["id"].startswith("chatcmpl-")


def test_a_body_that_is_not_json_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        ADAPTER.chat_response(b'{"candidates": [', MODEL)


# Errors


def error_of(status: int, data: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(ADAPTER.error_response(status, data))
    return parsed


def test_google_errors_become_openai_errors() -> None:
    google = {
        "error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}
    }
    expected = {
        "error": {
            "message": "Resource exhausted.",
            "type": "rate_limit_error",
            "param": None,
            "code": "resource_exhausted",
        }
    }
    assert error_of(429, orjson.dumps(google)) == expected
    assert error_of(429, orjson.dumps([google])) == expected  # the array form streams fail in
    invalid_key = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            ],
        }
    }
    assert error_of(400, orjson.dumps(invalid_key))["error"]["code"] == "invalid_api_key"
    assert error_of(502, b"<html>Bad Gateway</html>") == {
        "error": {
            "message": "<html>Bad Gateway</html>",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert error_of(503, b"")["error"]["message"] == "Gemini answered HTTP 503"


# Streams

STREAM_ID = "tTCwacuEBMvnitYP06qsgQY"
CREATED = 1_750_000_000


def gemini_chunk(parts: list[Any], finish: str | None = None, **usage: int) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9, **usage},
        "modelVersion": "gemini-2.5-flash",
        "responseId": STREAM_ID,
    }


def gemini_sse(*chunks: dict[str, Any], newline: bytes = b"\r\n") -> bytes:
    # Google's spacing (": " after keys, nothing after commas), one event per chunk.
    return b"".join(
        b"data: " + json.dumps(c, separators=(",", ": ")).encode() + newline * 2 for c in chunks
    )


TEXT_STREAM = (
    gemini_chunk([{"text": "Hé"}]),
    gemini_chunk([{"text": "llo"}], candidatesTokenCount=2),
    gemini_chunk(
        [{"text": " world."}, {"text": "", "thoughtSignature": "c2ln"}],
        "STOP",
        candidatesTokenCount=3,
        thoughtsTokenCount=4,
        cachedContentTokenCount=5,
    ),
)


def translate(raw: bytes, size: int | None, include_usage: bool) -> bytes:
    translator = GeminiStreamTranslator(MODEL, include_usage, created=CREATED)
    pieces = [raw] if size is None else [raw[i : i + size] for i in range(0, len(raw), size)]
    return b"".join(translator.feed(piece) for piece in pieces) + translator.finish()


def openai_events(sse: bytes) -> list[Any]:
    """Each `data:` payload of an OpenAI SSE body, validated as the SDK would read it."""
    assert sse.endswith(b"data: [DONE]\n\n")
    events: list[Any] = []
    for block in sse.split(b"\n\n")[:-1]:
        assert block.startswith(b"data: ") and b"\n" not in block
        data = block[6:]
        if data == b"[DONE]":
            events.append("[DONE]")
            continue
        chunk = orjson.loads(data)
        if "error" not in chunk:
            ChatCompletionChunk.model_validate(chunk)
        events.append(chunk)
    return events


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_is_the_same_however_it_is_cut(include_usage: bool) -> None:
    raw = gemini_sse(*TEXT_STREAM)
    whole = translate(raw, None, include_usage)
    assert translate(raw, 1, include_usage) == whole  # splits "é" and every "\r\n" too
    assert translate(raw, 7, include_usage) == whole
    assert translate(gemini_sse(*TEXT_STREAM, newline=b"\n"), 3, include_usage) == whole

    def frame(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> Any:
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        )
        chunk = {
            "id": f"chatcmpl-{STREAM_ID}",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": choices,
        }
        return {**chunk, "usage": None, **extra} if include_usage else chunk

    expected = [
        frame({"role": "assistant", "content": ""}),
        frame({"content": "Hé"}),
        frame({"content": "llo"}),
        frame({"content": " world."}),
        frame({}, "stop"),
    ]
    if include_usage:
        usage = {
            "prompt_tokens": 9,
            "completion_tokens": 7,
            "total_tokens": 16,
            "prompt_tokens_details": {"cached_tokens": 5, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 4, "audio_tokens": 0},
        }
        expected.append(frame(None, usage=usage))
    assert openai_events(whole) == [*expected, "[DONE]"]


def test_stream_tool_calls() -> None:
    call = {
        "functionCall": {"name": "get_weather", "args": {"city": "Oslo"}},
        "thoughtSignature": "c2ln",
    }
    other = {"functionCall": {"name": "get_time", "args": {}}}
    raw = gemini_sse(gemini_chunk([call, other], "STOP", candidatesTokenCount=12))
    events = openai_events(translate(raw, 5, include_usage=False))
    assert [e["choices"][0]["delta"] for e in events[1:3]] == [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": events[1]["choices"][0]["delta"]["tool_calls"][0]["id"],
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ]
        },
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": events[2]["choices"][0]["delta"]["tool_calls"][0]["id"],
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                }
            ]
        },
    ]
    assert events[1]["choices"][0]["delta"]["tool_calls"][0]["id"].endswith(SIGNATURE_MARK + "c2ln")
    assert events[3]["choices"][0]["finish_reason"] == "tool_calls"
    # The JSON answer to the same response names the calls alike.
    answer = {**gemini_chunk([call, other], "STOP")}
    calls = completion_of(answer)["choices"][0]["message"]["tool_calls"]
    assert [c["id"] for c in calls] == [
        e["choices"][0]["delta"]["tool_calls"][0]["id"] for e in events[1:3]
    ]


def test_stream_oddities() -> None:
    blocked = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "responseId": "b"}
    events = openai_events(translate(gemini_sse(blocked), None, include_usage=False))
    assert [e["choices"][0]["finish_reason"] for e in events[:-1]] == [None, "content_filter"]

    failure = {
        "error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}
    }
    raw = gemini_sse(TEXT_STREAM[0], failure)
    events = openai_events(translate(raw, 4, include_usage=False))
    assert events[-2] == {
        "error": {
            "message": "The model is overloaded.",
            "type": "server_error",
            "param": None,
            "code": "unavailable",
        }
    }

    # A last event without its blank line still counts; a half event from a cut does not.
    unterminated = gemini_sse(*TEXT_STREAM)[:-4]
    assert translate(unterminated, 9, False) == translate(gemini_sse(*TEXT_STREAM), None, False)
    cut = gemini_sse(TEXT_STREAM[0]) + b'data: {"candidates": [{"cont'
    events = openai_events(translate(cut, None, include_usage=True))
    assert [e["choices"] and e["choices"][0]["delta"] for e in events[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hé"},
        [],  # the usage chunk, from the last usageMetadata seen
    ]


# End to end against the fake provider


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def upstream(fake: FakeProvider) -> Iterator[httpx.Client]:
    fake.reset()
    with httpx.Client(base_url=fake.url) as client:
        yield client


SYSTEM_HELLO = [{"role": "system", "content": "Be brief."}, *HELLO]  # 20 chars: 6 tokens


def test_end_to_end_completion(upstream: httpx.Client, fake: FakeProvider) -> None:
    body = {"model": MODEL, "messages": SYSTEM_HELLO}
    call = ADAPTER.chat_request(body, MODEL, "AIza-e2e", stream=False)
    response = upstream.post(
        call.path,
        content=call.body,
        headers={**call.headers, "x-fake-behaviour": "cached_tokens=5,reasoning_tokens=7"},
    )
    assert response.status_code == 200
    completion = ChatCompletion.model_validate_json(ADAPTER.chat_response(response.content, MODEL))
    assert completion.model == MODEL
    assert completion.choices[0].message.content == sentence(20).text
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 27, 38)
    assert usage.prompt_tokens_details.cached_tokens == 5
    assert usage.completion_tokens_details.reasoning_tokens == 7
    [received] = fake.calls
    assert received.query == "" and received.headers["x-goog-api-key"] == "AIza-e2e"


def test_end_to_end_max_tokens(upstream: httpx.Client) -> None:
    call = ADAPTER.chat_request({"messages": HELLO, "max_tokens": 3}, MODEL, "k", stream=False)
    response = upstream.post(call.path, content=call.body, headers=call.headers)
    completion = ChatCompletion.model_validate_json(ADAPTER.chat_response(response.content, MODEL))
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "The heliograph flashes"


@pytest.mark.parametrize("include_usage", [False, True])
def test_end_to_end_stream(upstream: httpx.Client, fake: FakeProvider, include_usage: bool) -> None:
    call = ADAPTER.chat_request({"messages": SYSTEM_HELLO}, MODEL, "AIza-e2e", stream=True)
    translator = ADAPTER.chat_stream(MODEL, include_usage)
    out = b""
    headers = {**call.headers, "x-fake-behaviour": "words=9,chunks=4,reasoning_tokens=3"}
    with upstream.stream("POST", call.path, content=call.body, headers=headers) as response:
        assert response.status_code == 200
        for piece in response.iter_raw(5):
            out += translator.feed(piece)
    out += translator.finish()
    events = openai_events(out)
    chunks = [ChatCompletionChunk.model_validate(e) for e in events[:-1]]
    body = chunks[:-1] if include_usage else chunks
    assert body[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in body) == sentence(9).text
    assert len(body) == 1 + 4 + 1
    assert body[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1
    if include_usage:
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (6, 12)
    else:
        assert all(c.usage is None for c in chunks)
    assert fake.calls[0].query == "alt=sse"


def test_end_to_end_tool_round_trip_on_gemini_3(upstream: httpx.Client, fake: FakeProvider) -> None:
    model = "gemini-3-flash-preview"
    messages: list[dict[str, Any]] = [{"role": "user", "content": "call a tool"}]
    body = {"messages": messages, "tools": [WEATHER_TOOL], "tool_choice": "required"}
    call = ADAPTER.chat_request(body, model, "k", stream=False)
    response = upstream.post(call.path, content=call.body, headers=call.headers)
    completion = ChatCompletion.model_validate_json(ADAPTER.chat_response(response.content, model))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    [tool_call] = choice.message.tool_calls
    assert tool_call.type == "function"
    assert (tool_call.function.name, orjson.loads(tool_call.function.arguments)) == (
        "get_weather",
        {"city": "heliograph", "days": 1},
    )
    assert SIGNATURE_MARK in tool_call.id  # the signature Gemini 3 wants back

    # The client sends the call back as any OpenAI client does, then the tool's result.
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": tool_call.id, "content": '{"temp": 20}'},
    ]
    call = ADAPTER.chat_request({**body, "tool_choice": "auto"}, model, "k", stream=False)
    response = upstream.post(call.path, content=call.body, headers=call.headers)
    assert response.status_code == 200, response.text
    completion = ChatCompletion.model_validate_json(ADAPTER.chat_response(response.content, model))
    assert completion.choices[0].message.content == sentence(20).text
    # Gemini got its own signature back, not the bypass value.
    first_answer, replay = fake.calls
    model_turn = replay.json()["contents"][1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0]["thoughtSignature"] == tool_call.id.split(SIGNATURE_MARK)[1]
    assert first_answer.path.endswith(":generateContent")


def test_end_to_end_error(upstream: httpx.Client) -> None:
    call = ADAPTER.chat_request({"messages": HELLO}, MODEL, "k", stream=True)
    headers = {**call.headers, "x-fake-behaviour": "status=429"}
    response = upstream.post(call.path, content=call.body, headers=headers)
    assert response.status_code == 429
    error = orjson.loads(ADAPTER.error_response(response.status_code, response.content))
    assert error == {
        "error": {
            "message": "Resource has been exhausted (e.g. check quota).",
            "type": "rate_limit_error",
            "param": None,
            "code": "resource_exhausted",
        }
    }

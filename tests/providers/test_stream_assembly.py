"""Assembling streamed events into the final message, and reading usage, per wire format."""

from __future__ import annotations

import orjson

from heliograph.providers.anthropic import AnthropicFormat
from heliograph.providers.openai import (
    OpenAIFormat,
    needs_usage_injection,
    usage_chunk_filter,
)
from heliograph.providers.sse import parse_events, whole_events
from heliograph.usage import Usage


def sse(*objects: object, done: bool = True) -> bytes:
    body = b"".join(b"data: " + orjson.dumps(o) + b"\n\n" for o in objects)
    return body + (b"data: [DONE]\n\n" if done else b"")


def chunk(delta: dict[str, object], finish: str | None = None, index: int = 0) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def test_openai_chat_stream_with_tool_calls_and_usage():
    raw = sse(
        chunk({"role": "assistant", "content": None}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        chunk({}, finish="tool_calls"),
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 4,
                "prompt_tokens_details": {"cached_tokens": 2},
            },
        },
    )
    summary = OpenAIFormat().assemble_stream(parse_events(raw))
    assert summary.model == "gpt-4o-mini"
    assert summary.usage == Usage(prompt_tokens=9, completion_tokens=4, cache_read_tokens=2)
    (choice,) = summary.body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]


def test_openai_multiple_choices_and_text_completion():
    raw = sse(
        chunk({"content": "Hel"}, index=0),
        chunk({"content": "Bon"}, index=1),
        chunk({"content": "lo"}, index=0, finish="stop"),
        chunk({"content": "jour"}, index=1, finish="stop"),
    )
    body = OpenAIFormat().assemble_stream(parse_events(raw)).body
    assert [c["message"]["content"] for c in body["choices"]] == ["Hello", "Bonjour"]

    text = sse(
        {
            "id": "cmpl-1",
            "object": "text_completion",
            "model": "gpt-3.5-turbo-instruct",
            "choices": [{"index": 0, "text": "Hi", "finish_reason": None}],
        },
        {
            "id": "cmpl-1",
            "object": "text_completion",
            "model": "gpt-3.5-turbo-instruct",
            "choices": [{"index": 0, "text": " there", "finish_reason": "stop"}],
        },
    )
    body = OpenAIFormat().assemble_stream(parse_events(text)).body
    assert body["object"] == "text_completion" and body["choices"][0]["text"] == "Hi there"


def test_openai_responses_api_stream_uses_the_completed_response():
    raw = (
        b"event: response.output_text.delta\ndata: "
        + orjson.dumps({"type": "response.output_text.delta", "delta": "Hi"})
        + b"\n\nevent: response.completed\ndata: "
        + orjson.dumps(
            {
                "type": "response.completed",
                "response": {
                    "model": "gpt-4.1",
                    "output": [],
                    "usage": {
                        "input_tokens": 10,
                        "output_tokens": 3,
                        "input_tokens_details": {"cached_tokens": 4},
                        "output_tokens_details": {"reasoning_tokens": 1},
                    },
                },
            }
        )
        + b"\n\n"
    )
    summary = OpenAIFormat().assemble_stream(parse_events(raw))
    assert summary.usage == Usage(
        prompt_tokens=10, completion_tokens=3, cache_read_tokens=4, reasoning_tokens=1
    )


def test_anthropic_stream_with_text_tool_use_and_thinking():
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-20250514",
                    "content": [],
                    "stop_reason": None,
                    "usage": {
                        "input_tokens": 20,
                        "output_tokens": 1,
                        "cache_read_input_tokens": 100,
                        "cache_creation_input_tokens": 5,
                    },
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "Let me see"},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "sig"},
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "text_delta", "text": "Checking."},
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 2,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {},
                },
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": '{"city": "Par'},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": 'is"}'},
            },
        ),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": 42},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    raw = b"".join(
        f"event: {name}\ndata: ".encode() + orjson.dumps(data) + b"\n\n" for name, data in events
    )
    summary = AnthropicFormat().assemble_stream(parse_events(raw))
    assert summary.usage == Usage(
        prompt_tokens=125, completion_tokens=42, cache_read_tokens=100, cache_write_tokens=5
    )
    message = summary.body
    assert message["stop_reason"] == "tool_use"
    assert message["content"] == [
        {"type": "thinking", "thinking": "Let me see", "signature": "sig"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ]


def test_usage_injection_rules():
    assert needs_usage_injection("/v1/chat/completions", {"stream": True})
    assert needs_usage_injection("/v1/chat/completions", {"stream": True, "stream_options": {}})
    assert not needs_usage_injection("/v1/chat/completions", {"stream": False})
    assert not needs_usage_injection(
        "/v1/chat/completions", {"stream": True, "stream_options": {"include_usage": True}}
    )
    assert not needs_usage_injection("/v1/embeddings", {"stream": True})
    assert not needs_usage_injection("/v1/chat/completions", None)


def test_event_filter_drops_only_the_usage_chunk_even_when_cut_across_chunks():
    raw = sse(chunk({"content": "a"}), {"choices": [], "usage": {"prompt_tokens": 1}})
    for size in (1, 7, 50, len(raw)):
        relay = usage_chunk_filter()
        out = b"".join(relay.feed(raw[i : i + size]) for i in range(0, len(raw), size))
        out += relay.finish()
        assert out == sse(chunk({"content": "a"})), size


def test_event_filter_passes_chunks_without_the_marker_unsplit():
    relay = usage_chunk_filter()
    assert relay.feed(b"data: {}\n\ndata: {") == b"data: {}\n\n"
    assert relay.feed(b"}\n\n") == b"data: {}\n\n"
    assert relay.finish() == b""


def test_whole_events_relay_never_splits_an_event():
    relay = whole_events()
    raw = b'data: {"a": 1}\n\ndata: {"b": 2}\n\ndata: [DONE]\n\n'
    out = [relay.feed(raw[i : i + 5]) for i in range(0, len(raw), 5)]
    assert b"".join(out) + relay.finish() == raw
    assert all(piece == b"" or piece.endswith(b"\n\n") for piece in out)


def test_event_filter_keeps_events_around_the_usage_chunk_byte_for_byte():
    before = sse(chunk({"content": "a"}), done=False) + b": keep-alive\n\n"
    usage = b'data: {"choices": [], "usage": {"prompt_tokens": 1}}\n\n'
    after = b'data: {"note": "choices:[] in text is no marker"}\n\ndata: [DONE]\n\n'
    relay = usage_chunk_filter()
    assert relay.feed(before + usage + after) + relay.finish() == before + after
    # Empty choices without usage: not the usage chunk, kept.
    kept = b'data: {"choices": [], "usage": null}\n\n'
    assert relay.feed(kept) == kept


def test_one_line_events_parse_alike_on_the_quick_path_and_the_general_one():
    raw = sse(chunk({"role": "assistant"}), chunk({"content": "x\n\ny"}), {"choices": []})
    quick = parse_events(raw)
    general = parse_events(b": comment\n\n" + raw.replace(b"data: ", b"data:"))
    assert quick == general
    assert [event.data for event in quick][-1] == "[DONE]"
    assert quick[1].data["choices"][0]["delta"]["content"] == "x\n\ny"


def test_a_long_stream_is_assembled_from_all_its_pieces():
    pieces = [f"w{i} " for i in range(5000)]
    raw = sse(
        chunk({"role": "assistant"}),
        *(chunk({"content": piece}) for piece in pieces),
        chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f"}}]}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in "{}"),
        chunk({}, finish="stop"),
    )
    (choice,) = OpenAIFormat().assemble_stream(parse_events(raw)).body["choices"]
    assert choice["message"]["content"] == "".join(pieces)
    assert choice["message"]["tool_calls"] == [
        {"function": {"arguments": "{}", "name": "f"}, "id": "c"}
    ]
    assert choice["finish_reason"] == "stop"

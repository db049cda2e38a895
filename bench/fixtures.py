"""The canned provider responses nginx serves and the chat requests the load generator sends.

OpenAI's chat completion and stream, and Anthropic's Messages answer and event stream, all
carrying the same answer text and token counts, so that the gateway's translation of the
Anthropic ones can be checked against the OpenAI ones.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-3-5-sonnet-20241022"
CREATED = 1_735_689_600
STREAM_CONTENT_CHUNKS = 20
PROMPT_TOKENS = 24
COMPLETION_TOKENS = 160

ANSWER = (
    "A reverse proxy sits between clients and an upstream service. It accepts each request, "
    "forwards it unchanged, and relays the response back, which makes it the natural place to "
    "add authentication, rate limits, caching and request logging without touching either side. "
    "For language model traffic the proxy also records the prompt, the completion, token usage "
    "and latency, so that costs and failures can be inspected later. The price of this is one "
    "extra network hop and some processing per call, which is what this benchmark measures."
)


def _usage() -> dict[str, Any]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def completion_body() -> str:
    """A ~1 KB OpenAI `chat.completion`, as the non-streaming upstream answer."""
    return _dumps(
        {
            "id": "chatcmpl-BenchAbCdEfGhIjKlMnOpQrStUvWx",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": ANSWER,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_0ba0d124f1",
        }
    )


def _chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> str:
    chunk = {
        "id": "chatcmpl-BenchStreamAbCdEfGhIjKlMnOpQr",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": choices,
        "usage": usage,
    }
    return f"data: {_dumps(chunk)}\n\n"


def stream_pieces() -> list[str]:
    """The answer cut into the 20 pieces both canned streams send, one per content event."""
    words = ANSWER.split(" ")
    bounds = [len(words) * i // STREAM_CONTENT_CHUNKS for i in range(STREAM_CONTENT_CHUNKS + 1)]
    pieces = [" ".join(words[a:b]) + " " for a, b in itertools.pairwise(bounds)]
    pieces[-1] = pieces[-1].rstrip(" ")
    return pieces


def stream_body() -> str:
    """An OpenAI chat stream: 20 content chunks, the finish chunk, the usage chunk, [DONE]."""
    deltas: list[dict[str, Any]] = [{"content": p} for p in stream_pieces()]
    deltas[0] = {"role": "assistant", **deltas[0], "refusal": None}
    events = [
        _chunk([{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}]) for d in deltas
    ]
    events.append(_chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
    events.append(_chunk([], _usage()))
    events.append("data: [DONE]\n\n")
    return "".join(events)


def request_body(stream: bool, model: str = MODEL) -> str:
    """The small chat request every benchmark call sends (`model`: "gpt-4o-mini/openai" and
    the like for the unified gateway).

    Streams leave out `stream_options`, like most SDK callers, so Heliograph takes its usual
    path of asking upstream for usage and dropping the extra usage chunk on the way back.
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "In one paragraph, what does a reverse proxy do?"},
        ],
        "max_tokens": 200,
    }
    if stream:
        body["stream"] = True
    return _dumps(body)


def _anthropic_usage() -> dict[str, Any]:
    return {
        "input_tokens": PROMPT_TOKENS,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": COMPLETION_TOKENS,
        "service_tier": "standard",
    }


def anthropic_message_body() -> str:
    """A ~1 KB Anthropic Messages answer (`message` with usage), the translated route's upstream."""
    return _dumps(
        {
            "id": "msg_01BenchAbCdEfGhIjKlMnOpQrSt",
            "type": "message",
            "role": "assistant",
            "model": ANTHROPIC_MODEL,
            "content": [{"type": "text", "text": ANSWER}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": _anthropic_usage(),
        }
    )


def _event(data: dict[str, Any]) -> str:
    return f"event: {data['type']}\ndata: {_dumps(data)}\n\n"


def anthropic_stream_body() -> str:
    """An Anthropic Messages event stream with the 20 text deltas of the OpenAI stream."""
    usage = {**_anthropic_usage(), "output_tokens": 1}
    start: dict[str, Any] = {
        "id": "msg_01BenchStreamAbCdEfGhIjKl",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    events = [
        _event({"type": "message_start", "message": start}),
        _event(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
        _event({"type": "ping"}),
    ]
    events += [
        _event(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        )
        for p in stream_pieces()
    ]
    events.append(_event({"type": "content_block_stop", "index": 0}))
    events.append(
        _event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": COMPLETION_TOKENS},
            }
        )
    )
    events.append(_event({"type": "message_stop"}))
    return "".join(events)

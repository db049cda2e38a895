"""The canned provider responses nginx serves and the chat request the load generator sends."""

from __future__ import annotations

import itertools
import json
from typing import Any

MODEL = "gpt-4o-mini"
CREATED = 1_735_689_600
STREAM_CONTENT_CHUNKS = 20
PROMPT_TOKENS = 24
COMPLETION_TOKENS = 160

_ANSWER = (
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
                        "content": _ANSWER,
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


def stream_body() -> str:
    """An OpenAI chat stream: 20 content chunks, the finish chunk, the usage chunk, [DONE]."""
    words = _ANSWER.split(" ")
    bounds = [len(words) * i // STREAM_CONTENT_CHUNKS for i in range(STREAM_CONTENT_CHUNKS + 1)]
    pieces = [" ".join(words[a:b]) + " " for a, b in itertools.pairwise(bounds)]
    deltas: list[dict[str, Any]] = [{"content": p} for p in pieces]
    deltas[0] = {"role": "assistant", **deltas[0], "refusal": None}
    events = [
        _chunk([{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}]) for d in deltas
    ]
    events.append(_chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
    events.append(_chunk([], _usage()))
    events.append("data: [DONE]\n\n")
    return "".join(events)


def request_body(stream: bool) -> str:
    """The small chat request every benchmark call sends.

    Streams leave out `stream_options`, like most SDK callers, so Heliograph takes its usual
    path of asking upstream for usage and dropping the extra usage chunk on the way back.
    """
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "In one paragraph, what does a reverse proxy do?"},
        ],
        "max_tokens": 200,
    }
    if stream:
        body["stream"] = True
    return _dumps(body)

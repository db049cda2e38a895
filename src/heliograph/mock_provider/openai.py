"""OpenAI's wire format: chat completions, models, errors, and the usage object.

Shapes and field order follow api.openai.com as it answers today. Usage (see generation.py for
the base formulas): OpenAI counts cached tokens inside `prompt_tokens` and reasoning tokens
inside `completion_tokens`, so
    prompt_tokens = base prompt tokens + cached_tokens
    completion_tokens = reply words + reasoning_tokens
Streams carry `usage: null` on every chunk and a final `choices: []` usage chunk only with
`stream_options.include_usage`, and an `obfuscation` field unless `include_obfuscation` is false.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from aiohttp import web

from . import behaviour, generation, streaming
from .behaviour import Behaviour
from .generation import Reply
from .recording import json_body, received

routes = web.RouteTableDef()

FINGERPRINT = "fp_f4ke0a1b2c"
_RATE_LIMITS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999000",
    "x-ratelimit-reset-tokens": "2ms",
}
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-fake. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
        "Please try again in 1s. Visit https://platform.openai.com/account/rate-limits "
        "to learn more.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}
INVALID_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
    "contact us through our help center at help.openai.com.)"
)
MODELS = (
    ("gpt-4o", 1715367049),
    ("gpt-4o-mini", 1721172741),
    ("gpt-4.1", 1744316542),
    ("o3-mini", 1737146383),
    ("gpt-3.5-turbo-instruct", 1692901427),
    ("text-embedding-3-small", 1705948997),
    ("text-embedding-3-large", 1705953180),
)


def headers(content_type: str = "application/json") -> dict[str, str]:
    return {
        "content-type": content_type,
        "openai-organization": "org-fake",
        "openai-processing-ms": "1",
        "openai-version": "2020-10-01",
        "x-request-id": f"req_{uuid.uuid4().hex}",
        **_RATE_LIMITS,
    }


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), headers=headers())


def error_response(status: int, message: str | None = None) -> web.Response:
    """OpenAI's error body for `status`; a 429 also says when to retry."""
    kind, code, default = _ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
    )
    error = {"message": message or default, "type": kind, "param": None, "code": code}
    response = json_response({"error": error}, status)
    if status == 429:
        response.headers["retry-after"] = "1"
    return response


def usage(prompt: int, reply: Reply, asked: Behaviour) -> dict[str, Any]:
    prompt += asked.cached_tokens
    completion = reply.tokens + asked.reasoning_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": asked.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": asked.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def stream_options(body: dict[str, Any]) -> tuple[bool, bool]:
    options = body.get("stream_options")
    options = options if isinstance(options, dict) else {}
    return options.get("include_usage") is True, options.get("include_obfuscation") is not False


@routes.post("/v1/chat/completions")
async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    asked = behaviour.of(request)
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    prompt = generation.prompt_tokens(
        t for m in messages for t in generation.texts_of(m.get("content"))
    )
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    echo = generation.is_echo(last_user.get("content"))
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    reply = generation.scripted(last_user.get("content")) or generation.answer(
        asked, received(request, body) if echo else None, max_tokens
    )
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
    }

    if body.get("stream") is not True:

        def build(reply: Reply) -> dict[str, Any]:
            message = {"role": "assistant", "content": reply.text, "refusal": None}
            choice = {
                "index": 0,
                "message": {**message, "annotations": []},
                "logprobs": None,
                "finish_reason": "length" if reply.truncated else "stop",
            }
            return {
                **base,
                "choices": [choice],
                "usage": usage(prompt, reply, asked),
                "service_tier": "default",
                "system_fingerprint": FINGERPRINT,
            }

        return web.Response(body=generation.body_bytes(asked, build, reply), headers=headers())

    return await streaming.send(
        request,
        headers("text/event-stream; charset=utf-8"),
        *_frames(base, body, reply, prompt, asked),
    )


def _frames(
    base: dict[str, Any], body: dict[str, Any], reply: Reply, prompt: int, asked: Behaviour
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The stream's chunks: the role, one per text chunk, then finish, usage and [DONE]."""
    include_usage, obfuscate = stream_options(body)
    base = {
        **base,
        "object": "chat.completion.chunk",
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, totals: Any = None) -> bytes:
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        )
        frame = {**base, "choices": choices}
        if include_usage:
            frame["usage"] = totals
        if obfuscate:
            frame["obfuscation"] = _obfuscation(delta)
        return streaming.data(frame)

    head = [chunk({"role": "assistant", "content": "", "refusal": None})]
    content = [chunk({"content": text}) for text in reply.chunks(asked.chunks)]
    tail = [chunk({}, "length" if reply.truncated else "stop")]
    if include_usage:
        tail.append(chunk(None, totals=usage(prompt, reply, asked)))
    tail.append(b"data: [DONE]\n\n")
    return head, content, tail


def _obfuscation(delta: dict[str, Any] | None) -> str:
    # OpenAI pads each chunk with random characters so sizes don't leak the tokens;
    # a fixed filler keeps the fake deterministic.
    text = (delta or {}).get("content") or ""
    return "Zq8xK3vT0pLm"[: max(1, 12 - len(text))]


def models() -> web.Response:
    data = [
        {"id": name, "object": "model", "created": created, "owned_by": "system"}
        for name, created in MODELS
    ]
    return json_response({"object": "list", "data": data})

"""Anthropic's wire format: messages (JSON and SSE), token counting, models, errors.

Usage (see generation.py for the base formulas): Anthropic reports cache reads and writes
beside, not inside, `input_tokens`, so
    input_tokens = base prompt tokens (system + messages)
    cache_read_input_tokens = cache_read, cache_creation_input_tokens = cache_write
    output_tokens = reply words
`message_start` carries the input side with `output_tokens: 1`; `message_delta` carries the
cumulative totals, as the API does today.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from . import behaviour, generation, streaming
from .behaviour import Behaviour
from .generation import Reply
from .recording import json_body, received

routes = web.RouteTableDef()

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit "
        "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for current "
        "usage. Please reduce the prompt length or the maximum tokens requested, or try again "
        "later.",
    ),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
INVALID_JSON_MESSAGE = "The request body is not valid JSON."
MODELS = (
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
)


def _request_id() -> str:
    return f"req_011C{uuid.uuid4().hex[:20]}"


def headers(
    content_type: str = "application/json", request_id: str | None = None
) -> dict[str, str]:
    return {
        "content-type": content_type,
        "request-id": request_id or _request_id(),
        "anthropic-organization-id": "00000000-0000-4000-8000-00000000fa4e",
    }


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), headers=headers())


def error_response(status: int, message: str | None = None) -> web.Response:
    """Anthropic's error body for `status`; a 429 also says when to retry."""
    kind, default = _ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", "Error.")
    )
    request_id = _request_id()
    payload = {
        "type": "error",
        "error": {"type": kind, "message": message or default},
        "request_id": request_id,
    }
    response = web.Response(
        status=status, body=orjson.dumps(payload), headers=headers(request_id=request_id)
    )
    if status == 429:
        response.headers["retry-after"] = "1"
    return response


def _prompt_texts(body: dict[str, Any]) -> list[str]:
    texts = generation.texts_of(body.get("system"))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            texts += generation.texts_of(message.get("content"))
    return texts


def _usage(prompt: int, output: int, asked: Behaviour) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "cache_creation_input_tokens": asked.cache_write,
        "cache_read_input_tokens": asked.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": asked.cache_write,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output,
        "service_tier": "standard",
    }


@routes.post("/v1/messages")
async def messages(request: web.Request) -> web.StreamResponse:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    asked = behaviour.of(request)
    prompt = generation.prompt_tokens(_prompt_texts(body))
    turns = [m for m in body.get("messages") or () if isinstance(m, dict)]
    last_user = next((m for m in reversed(turns) if m.get("role") == "user"), {})
    echo = received(request, body) if generation.is_echo(last_user.get("content")) else None
    reply = generation.answer(asked, echo, body.get("max_tokens"))
    message = {
        "id": f"msg_01{uuid.uuid4().hex[:22]}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }

    if body.get("stream") is not True:

        def build(reply: Reply) -> dict[str, Any]:
            return {
                **message,
                "content": [{"type": "text", "text": reply.text}],
                "stop_reason": "max_tokens" if reply.truncated else "end_turn",
                "usage": _usage(prompt, reply.tokens, asked),
            }

        return web.Response(body=generation.body_bytes(asked, build, reply), headers=headers())

    return await streaming.send(
        request,
        {**headers("text/event-stream; charset=utf-8"), "cache-control": "no-cache"},
        *_frames(message, reply, prompt, asked),
    )


def _frames(
    message: dict[str, Any], reply: Reply, prompt: int, asked: Behaviour
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The stream's events: before the text, one per text chunk, and after it."""
    block = {"type": "text", "text": ""}
    head = [
        streaming.event(
            "message_start",
            {"type": "message_start", "message": {**message, "usage": _usage(prompt, 1, asked)}},
        ),
        streaming.event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        ),
        # Anthropic writes the ping's JSON with a space after the colon, unlike other events.
        b'event: ping\ndata: {"type": "ping"}\n\n',
    ]
    content = [
        streaming.event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}},
        )
        for t in reply.chunks(asked.chunks)
    ]
    stop = {"stop_reason": "max_tokens" if reply.truncated else "end_turn", "stop_sequence": None}
    usage = {
        "input_tokens": prompt,
        "cache_creation_input_tokens": asked.cache_write,
        "cache_read_input_tokens": asked.cache_read,
        "output_tokens": reply.tokens,
    }
    tail = [
        streaming.event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        streaming.event("message_delta", {"type": "message_delta", "delta": stop, "usage": usage}),
        streaming.event("message_stop", {"type": "message_stop"}),
    ]
    return head, content, tail


@routes.post("/v1/messages/count_tokens")
async def count_tokens(request: web.Request) -> web.Response:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    return json_response({"input_tokens": generation.prompt_tokens(_prompt_texts(body))})


def models() -> web.Response:
    data = [
        {"type": "model", "id": name, "display_name": display, "created_at": created}
        for name, display, created in MODELS
    ]
    return json_response(
        {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    )

"""OpenAI's legacy text completions, `POST /v1/completions`, as JSON and as SSE.

Usage is the plain trio (no token details), as the endpoint sends it. The endpoint stops at
16 tokens unless the request sets `max_tokens`, so the default reply is cut with
`finish_reason: "length"`, like the real one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiohttp import web

from . import behaviour, generation, streaming
from .generation import Reply
from .openai import INVALID_JSON_MESSAGE, error_response, headers, stream_options
from .recording import json_body, received

routes = web.RouteTableDef()

DEFAULT_MAX_TOKENS = 16


@routes.post("/v1/completions")
async def completions(request: web.Request) -> web.StreamResponse:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    asked = behaviour.of(request)
    texts = generation.texts_of(body.get("prompt", ""))
    prompt = generation.prompt_tokens(texts)
    echo = received(request, body) if texts == ["echo"] else None
    reply = generation.answer(asked, echo, body.get("max_tokens", DEFAULT_MAX_TOKENS))
    finish = "length" if reply.truncated else "stop"
    base = {
        "id": f"cmpl-{uuid.uuid4().hex[:29]}",
        "object": "text_completion",
        "created": int(time.time()),
    }
    model = body.get("model", "")

    def usage(reply: Reply) -> dict[str, int]:
        return {
            "prompt_tokens": prompt,
            "completion_tokens": reply.tokens,
            "total_tokens": prompt + reply.tokens,
        }

    def choice(text: str, finish: str | None) -> dict[str, Any]:
        return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}

    if body.get("stream") is not True:

        def build(reply: Reply) -> dict[str, Any]:
            return {
                **base,
                "model": model,
                "choices": [choice(reply.text, finish)],
                "usage": usage(reply),
            }

        return web.Response(body=generation.body_bytes(asked, build, reply), headers=headers())

    include_usage, _ = stream_options(body)

    # Stream chunks put `model` after `choices`, unlike the JSON body.
    def chunk(choices: list[dict[str, Any]], usage: Any = None) -> bytes:
        frame = {**base, "choices": choices, "model": model}
        if include_usage:
            frame["usage"] = usage
        return streaming.data(frame)

    content = [chunk([choice(piece, None)]) for piece in reply.chunks(asked.chunks)]
    tail = [chunk([choice("", finish)])]
    if include_usage:
        tail.append(chunk([], usage(reply)))
    tail.append(b"data: [DONE]\n\n")
    return await streaming.send(
        request, headers("text/event-stream; charset=utf-8"), [], content, tail
    )

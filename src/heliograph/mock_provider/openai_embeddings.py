"""OpenAI's embeddings, `POST /v1/embeddings`.

Every input gets the same fixed unit vector (1536 dimensions, 3072 for a "large" model, or
`dimensions`), as floats or, with `encoding_format: "base64"` (the Python SDK's default), as
base64 of little-endian float32. prompt_tokens: the base formula over the input strings, plus
one per token id for token-id inputs.
"""

from __future__ import annotations

import base64
import math
import struct
from functools import lru_cache
from typing import Any

from aiohttp import web

from . import generation
from .openai import INVALID_JSON_MESSAGE, error_response, json_response
from .recording import json_body

routes = web.RouteTableDef()


@lru_cache(maxsize=16)
def _vector(dimensions: int) -> tuple[list[float], str]:
    raw = [math.sin(i + 1.0) for i in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    floats = [round(x / norm, 6) for x in raw]
    return floats, base64.b64encode(struct.pack(f"<{dimensions}f", *floats)).decode()


@routes.post("/v1/embeddings")
async def embeddings(request: web.Request) -> web.Response:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    model = str(body.get("model", ""))
    inputs = body.get("input", "")
    # `input` is a string, a list of strings, a list of token ids, or a list of such lists.
    if not isinstance(inputs, list) or not inputs or isinstance(inputs[0], int):
        inputs = [inputs]
    texts = generation.texts_of(inputs)
    ids = sum(len(i) for i in inputs if isinstance(i, list))
    prompt = ids + (generation.prompt_tokens(texts) if texts else 0)
    dimensions = body.get("dimensions")
    if not isinstance(dimensions, int) or dimensions <= 0:
        dimensions = 3072 if "large" in model else 1536
    floats, b64 = _vector(dimensions)
    vector: Any = b64 if body.get("encoding_format") == "base64" else floats
    data = [{"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))]
    return json_response(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
        }
    )

"""OpenAI's moderations, `POST /v1/moderations`, as omni-moderation answers.

`input` is a string, a list of strings, or a list of parts (`{"type": "text", "text"}`,
`{"type": "image_url", ...}`): one result per string, one for a list of parts. A text that
contains `flag:CATEGORY` (an OpenAI category name, e.g. `flag:violence`, `flag:hate/threatening`)
is flagged in that category, score 0.99; everything else is clean, scores 0.0001. An unknown
category is a mistake in the test: 400 naming it.

Behaviours only this route applies (`x-fake-behaviour` or a key's `fake-behaviour:` marker):
`moderation_status=N` answers N in OpenAI's error shape and `moderation_delay_ms=N` waits
first, so a test can make the moderation check fail while the chat call it guards succeeds.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from aiohttp import web

from . import behaviour
from .openai import INVALID_JSON_MESSAGE, error_response, json_response
from .recording import json_body

routes = web.RouteTableDef()

MODEL = "omni-moderation-latest"
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
_MARK = re.compile(r"flag:([a-z/-]+)")


@routes.post("/v1/moderations")
async def moderations(request: web.Request) -> web.Response:
    asked = behaviour.of(request)
    if asked.moderation_delay_ms:
        await asyncio.sleep(asked.moderation_delay_ms / 1000)
    if asked.moderation_status is not None:
        return error_response(asked.moderation_status)
    if not request.headers.get("authorization"):
        return error_response(401, "You didn't provide an API key.")
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    texts = _texts(body.get("input"))
    if texts is None:
        return error_response(400, "'input' must be a string, strings, or content parts")
    results = []
    for text in texts:
        flagged = set(_MARK.findall(text))
        unknown = flagged - set(CATEGORIES)
        if unknown:
            return error_response(400, f"fake provider: unknown category {sorted(unknown)[0]!r}")
        results.append(_result(flagged))
    model = body.get("model") if isinstance(body.get("model"), str) else MODEL
    return json_response(
        {"id": f"modr-{uuid.uuid4().hex[:24]}", "model": model, "results": results}
    )


def _texts(value: Any) -> list[str] | None:
    """One text per result: each string, or a list of parts' texts joined."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(item, str) for item in value):
        return list(value)
    if all(isinstance(item, dict) for item in value):
        return [" ".join(str(p.get("text", "")) for p in value if p.get("type") == "text")]
    return None


def _result(flagged: set[str]) -> dict[str, Any]:
    return {
        "flagged": bool(flagged),
        "categories": {name: name in flagged for name in CATEGORIES},
        "category_scores": {name: 0.99 if name in flagged else 0.0001 for name in CATEGORIES},
        "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
    }

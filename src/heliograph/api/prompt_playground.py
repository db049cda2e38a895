"""REST: the dashboard's prompt playground, which runs a saved version through the gateway.

The dashboard is signed in with a session cookie, which the gateway does not take (it wants
a Heliograph key, and a password session has none). This route takes the session (or a key)
like every REST route and makes the call `POST /v1/chat/completions` with `prompt_id`,
`version_id` and `inputs` in-process, through the gateway's own flow: assembled, routed,
limited and logged exactly as a client's call, for the caller's organization.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.prompts import PlaygroundRun, PlaygroundRunBody
from heliograph.asgi import json_or_none
from heliograph.errors import InvalidRequestError
from heliograph.gateway.inprocess import GatewayApp, call_gateway

router = APIRouter(tags=["Prompts"])
CHAT_PATH = "/v1/chat/completions"
# What the dashboard shows of an answer: far more than a chat completion, far less than memory.
MAX_ANSWER_BYTES = 8 * 1024 * 1024


def gateway_of(request: Request) -> GatewayApp:
    """The app's unified gateway, as create_api was given it."""
    gateway: GatewayApp = request.app.state.gateway
    return gateway


def _call_body(body: PlaygroundRunBody) -> bytes:
    call = {
        "prompt_id": body.promptId,
        "version_id": body.promptVersionId,
        "inputs": body.inputs,
        # A saved `"stream": true` is overridden: the playground shows the whole answer.
        "stream": False,
    }
    try:
        # json, not orjson: an input may be an integer past 64 bits, which JSON allows.
        return json.dumps(call, ensure_ascii=False, allow_nan=False).encode()
    except ValueError:
        message = "Invalid request: body.inputs: NaN and Infinity are not JSON"
        raise InvalidRequestError(message) from None


@router.post(
    "/v1/prompt-2025/playground",
    response_model=Envelope[PlaygroundRun],
    responses={
        502: {
            "description": "The gateway's answer is over 8 MiB, or there was none",
            "content": {"application/json": {"schema": ref("ErrorEnvelope")}},
        }
    },
)
async def run_version(body: PlaygroundRunBody, request: Request, caller: Caller) -> dict[str, Any]:
    """**Heliograph**: run a version through the unified gateway, as `POST
    /v1/chat/completions` with `prompt_id`, `version_id` and `inputs` (and `"stream":
    false`), for the caller's organization. The call is logged as any gateway call is, with
    the prompt's id and version. Answers 200 whenever the gateway answered, with its status
    and answer: an unknown version or a missing input is the gateway's 400 `invalid_prompt`
    in `response`. An answer over 8 MiB is a 502."""
    request_id = str(uuid.uuid4())
    answer = await call_gateway(
        gateway_of(request),
        caller,
        CHAT_PATH,
        _call_body(body),
        {"Helicone-Request-Id": request_id},
        MAX_ANSWER_BYTES,
    )
    response = json_or_none(answer.body)
    if response is None and answer.body:
        response = answer.body.decode("utf-8", "replace")
    return ok({"requestId": request_id, "status": answer.status, "response": response})

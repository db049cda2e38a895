"""AWS Bedrock's Converse wire format: JSON answers, the binary event stream, errors.

`POST /model/{modelId}/converse` answers a ConverseResponse; `/converse-stream` answers
`application/vnd.amazon.eventstream` messages (messageStart, contentBlockDelta...,
contentBlockStop, messageStop, metadata), each framed with its CRCs as AWS frames them.
A request needs a SigV4 `Authorization` header (its signature is not checked).

Usage (see generation.py for the base formulas): Bedrock reports cache reads and writes
beside, not inside, `inputTokens`, so
    inputTokens = base prompt tokens (system[].text + messages[].content[].text)
    cacheReadInputTokens = cache_read, cacheWriteInputTokens = cache_write (when not both 0)
    outputTokens = reply words; totalTokens = the sum of all four
"""

from __future__ import annotations

import struct
import time
import uuid
import zlib
from typing import Any

import orjson
from aiohttp import web

from . import behaviour, generation, streaming
from .behaviour import Behaviour
from .generation import Reply
from .recording import json_body, received

routes = web.RouteTableDef()

MODEL_PATH = "/model/{model_id}"
AUTH_PREFIX = "AWS4-HMAC-SHA256 Credential="
# The last user text that makes the model call a declared tool.
TOOL_PROMPT = "call a tool"
# What the fake model passes for each JSON-schema type of the tool's parameters.
ARGUMENT_VALUES: dict[str, Any] = {
    "string": "heliograph",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
}
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("ValidationException", "The provided request is not valid."),
    403: ("AccessDeniedException", "You don't have access to the model with the specified ID."),
    404: ("ResourceNotFoundException", "The requested resource could not be found."),
    408: ("ModelTimeoutException", "Model has timed out in processing the request."),
    424: ("ModelErrorException", "The model encountered an error processing the request."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: ("InternalServerException", "The server encountered an internal error."),
    503: ("ServiceUnavailableException", "Bedrock is unable to process your request."),
}
MISSING_AUTH_MESSAGE = "Missing Authentication Token"
INVALID_JSON_MESSAGE = "The request body is not valid JSON."
NO_MESSAGES = "The messages field is missing or empty. Add at least one message and try again."
FIRST_NOT_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts "
    "with a user message."
)
NOT_ALTERNATING = (
    "A conversation must alternate between user and assistant roles. Make sure the "
    "conversation alternates between user and assistant roles and try again."
)
EMPTY_CONTENT = (
    "The content field in the Message object at messages.{i} is empty. Add a ContentBlock "
    "object to the content field and try again."
)
BLANK_TEXT = (
    "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text "
    "to the text field, and try again."
)
NO_TOOL_CONFIG = (
    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
)
# Bedrock pads each stream event with a run of this alphabet, hiding the token lengths.
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
EVENT_STREAM = "application/vnd.amazon.eventstream"


def headers(content_type: str = "application/json") -> dict[str, str]:
    return {"content-type": content_type, "x-amzn-requestid": str(uuid.uuid4())}


def error_response(status: int, message: str | None = None) -> web.Response:
    """Bedrock's `{"message": ...}` body; the error's name is in `x-amzn-ErrorType`."""
    kind, default = _ERRORS.get(
        status, ("InternalServerException" if status >= 500 else "ValidationException", "Error.")
    )
    if message == MISSING_AUTH_MESSAGE:
        kind = "MissingAuthenticationTokenException"
    response = web.Response(
        status=status, body=orjson.dumps({"message": message or default}), headers=headers()
    )
    response.headers["x-amzn-ErrorType"] = (
        f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    return response


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with string headers (value type 7), as Bedrock sends them."""
    encoded = b"".join(
        bytes([len(name)]) + name + b"\x07" + struct.pack("!H", len(value)) + value
        for name, value in ((k.encode(), v.encode()) for k, v in headers.items())
    )
    prelude = struct.pack("!II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack("!I", zlib.crc32(message))


def event(kind: str, payload: dict[str, Any]) -> bytes:
    """A Converse stream event: its JSON, padded with `p` as Bedrock pads it."""
    size = len(orjson.dumps(payload)) * 7 % len(PADDING) + 1
    body = orjson.dumps({**payload, "p": PADDING[:size]})
    kinds = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return frame(kinds, body)


def exception(kind: str, message: str) -> bytes:
    """An error inside the stream, e.g. `exception("throttlingException", "Too many")`."""
    kinds = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(kinds, orjson.dumps({"message": message}))


def _texts(blocks: Any) -> list[str]:
    return generation.texts_of(blocks)  # the `text` of each block; other blocks count nothing


def _prompt_texts(body: dict[str, Any]) -> list[str]:
    texts = _texts(body.get("system"))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            texts += _texts(message.get("content"))
    return texts


def _usage(prompt: int, output: int, asked: Behaviour) -> dict[str, Any]:
    usage = {
        "inputTokens": prompt,
        "outputTokens": output,
        "totalTokens": prompt + output + asked.cache_read + asked.cache_write,
    }
    if asked.cache_read or asked.cache_write:
        usage["cacheReadInputTokens"] = asked.cache_read
        usage["cacheWriteInputTokens"] = asked.cache_write
    return usage


def _invalid(body: dict[str, Any]) -> str | None:
    """What Bedrock's validation would refuse in the conversation, if anything."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return NO_MESSAGES
    uses_tools = False
    previous = None
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if i == 0 and role != "user":
            return FIRST_NOT_USER
        if role not in ("user", "assistant") or role == previous:
            return NOT_ALTERNATING
        previous = role
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list) or not content:
            return EMPTY_CONTENT.format(i=i)
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                return EMPTY_CONTENT.format(i=i)
            if "text" in block and not str(block["text"]).strip():
                return BLANK_TEXT.format(i=i, j=j)
            uses_tools |= "toolUse" in block or "toolResult" in block
    if uses_tools and not body.get("toolConfig"):
        return NO_TOOL_CONFIG
    return None


def _tool_use(body: dict[str, Any]) -> dict[str, Any] | None:
    """The call the model makes, when the last message is the user's "call a tool"."""
    last = (body.get("messages") or [{}])[-1]
    if last.get("role") != "user" or _texts(last.get("content")) != [TOOL_PROMPT]:
        return None
    config = body.get("toolConfig") or {}
    specs = [
        tool["toolSpec"]
        for tool in config.get("tools") or ()
        if isinstance(tool, dict) and isinstance(tool.get("toolSpec"), dict)
    ]
    if not specs:
        return None
    wanted = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
    chosen = next((s for s in specs if s.get("name") == wanted), specs[0])
    schema = (chosen.get("inputSchema") or {}).get("json") or {}
    properties = schema.get("properties") or {}
    arguments = {
        name: ARGUMENT_VALUES.get(str(prop.get("type", "")).lower())
        for name, prop in properties.items()
        if isinstance(prop, dict)
    }
    tool_use_id = f"tooluse_{uuid.uuid4().hex[:22]}"
    return {"toolUseId": tool_use_id, "name": chosen.get("name", ""), "input": arguments}


@routes.post(MODEL_PATH + "/converse")
async def converse(request: web.Request) -> web.StreamResponse:
    return await _converse(request, stream=False)


@routes.post(MODEL_PATH + "/converse-stream")
async def converse_stream(request: web.Request) -> web.StreamResponse:
    return await _converse(request, stream=True)


async def _converse(request: web.Request, stream: bool) -> web.StreamResponse:
    started = time.monotonic()
    if not request.headers.get("authorization", "").startswith(AUTH_PREFIX):
        return error_response(403, MISSING_AUTH_MESSAGE)
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    invalid = _invalid(body)
    if invalid:
        return error_response(400, invalid)
    asked = behaviour.of(request)
    prompt = generation.prompt_tokens(_prompt_texts(body))
    config = body.get("inferenceConfig") or {}
    use = _tool_use(body)
    if use is not None:
        tokens = generation.prompt_tokens([orjson.dumps(use["input"]).decode()])
        if not stream:
            content = [{"toolUse": use}]
            return _answer(content, "tool_use", _usage(prompt, tokens, asked), started)
        arguments = orjson.dumps(use["input"]).decode()
        pieces = [arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        frames = [event("contentBlockStart", {"contentBlockIndex": 0, "start": start})]
        frames += [
            event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": p}}})
            for p in pieces
        ]
        return await _stream(request, frames, "tool_use", _usage(prompt, tokens, asked), started)

    messages = [m for m in body["messages"] if isinstance(m, dict)]
    echo = generation.is_echo(messages[-1].get("content")) and messages[-1]["role"] == "user"
    reply = generation.answer(
        asked, received(request, body) if echo else None, config.get("maxTokens")
    )
    stop = "max_tokens" if reply.truncated else "end_turn"
    if not stream:

        def build(reply: Reply) -> dict[str, Any]:
            return _converse_response(
                [{"text": reply.text}], stop, _usage(prompt, reply.tokens, asked), started
            )

        return web.Response(body=generation.body_bytes(asked, build, reply), headers=headers())

    frames = [
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}})
        for text in reply.chunks(asked.chunks)
    ]
    return await _stream(request, frames, stop, _usage(prompt, reply.tokens, asked), started)


def _converse_response(
    content: list[dict[str, Any]], stop: str, usage: dict[str, Any], started: float
) -> dict[str, Any]:
    return {
        "metrics": {"latencyMs": _latency(started)},
        "output": {"message": {"content": content, "role": "assistant"}},
        "stopReason": stop,
        "usage": usage,
    }


def _answer(
    content: list[dict[str, Any]], stop: str, usage: dict[str, Any], started: float
) -> web.Response:
    payload = _converse_response(content, stop, usage, started)
    return web.Response(body=orjson.dumps(payload), headers=headers())


async def _stream(
    request: web.Request, content: list[bytes], stop: str, usage: dict[str, Any], started: float
) -> web.StreamResponse:
    """messageStart, the content events (paced, possibly cut), then stop and metadata."""
    head = [event("messageStart", {"role": "assistant"})]
    tail = [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": stop}),
        event("metadata", {"metrics": {"latencyMs": _latency(started)}, "usage": usage}),
    ]
    return await streaming.send(request, headers(EVENT_STREAM), head, content, tail)


def _latency(started: float) -> int:
    return max(int((time.monotonic() - started) * 1000), 1)

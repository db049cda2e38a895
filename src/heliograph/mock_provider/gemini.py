"""Google Gemini's wire format (AI Studio's generativelanguage v1beta API).

`generateContent` (JSON), `streamGenerateContent` (SSE with `?alt=sse`, else a streamed JSON
array), `countTokens`, and Google's error body. Usage (see generation.py for the base formulas):
Gemini counts cached tokens inside `promptTokenCount` and thinking beside the candidates, so
    promptTokenCount = base prompt tokens (systemInstruction + contents) + cached_tokens
    cachedContentTokenCount = cached_tokens, thoughtsTokenCount = reasoning_tokens
    candidatesTokenCount = reply words x candidateCount
    totalTokenCount = promptTokenCount + candidatesTokenCount + thoughtsTokenCount
Zero cached and thoughts counts are left out, as Google's proto3 JSON leaves zeros out.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import orjson
from aiohttp import web

from . import behaviour, generation, streaming
from .behaviour import Behaviour
from .generation import Reply
from .recording import json_body, received

routes = web.RouteTableDef()

MODEL_PATH = "/v1beta/models/{model:[^/:]+}"
# The last user text that makes the model call the first declared function.
TOOL_PROMPT = "call a tool"
# What the fake model passes for each parameter type of the function it calls.
ARGUMENT_VALUES: dict[str, Any] = {
    "string": "heliograph",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
}
SKIP_SIGNATURE = "skip_thought_signature_validator"  # Google's documented bypass value
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}
MISSING_KEY_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
INVALID_JSON_MESSAGE = "Invalid JSON payload received. Unexpected token."
MISSING_SIGNATURE_MESSAGE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for "
    "tools to work correctly, and missing thought_signature may lead to degraded model "
    "performance. Additional data, function call `default_api:{name}` , position {position}. "
    "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)


def headers(content_type: str = "application/json; charset=UTF-8") -> dict[str, str]:
    return {
        "content-type": content_type,
        "vary": "Origin, X-Origin, Referer",
        "server": "scaffolding on HTTPServer2",
        "server-timing": "gfet4t7; dur=1",
        "x-content-type-options": "nosniff",
    }


def json_response(payload: Any, status: int = 200) -> web.Response:
    # Google pretty-prints its JSON bodies with two-space indents.
    body = orjson.dumps(payload, option=orjson.OPT_INDENT_2)
    return web.Response(status=status, body=body, headers=headers())


def error_response(status: int, message: str | None = None) -> web.Response:
    """Google's `{"error": {"code", "message", "status"}}`; a 429 says when to retry."""
    kind, default = _ERRORS.get(
        status, ("INTERNAL" if status >= 500 else "FAILED_PRECONDITION", "Error.")
    )
    error: dict[str, Any] = {"code": status, "message": message or default, "status": kind}
    if status == 429:
        retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
        error["details"] = [retry]
    return json_response({"error": error}, status)


def _sse(payload: Any) -> bytes:
    # Google's stream writes `": "` after keys but nothing after commas, and CRLF line ends.
    text = json.dumps(payload, separators=(",", ": "), ensure_ascii=False)
    return b"data: " + text.encode() + b"\r\n\r\n"


def _texts(content: Any) -> list[str]:
    return generation.texts_of(content.get("parts")) if isinstance(content, dict) else []


def _prompt_texts(body: dict[str, Any]) -> list[str]:
    texts = _texts(body.get("systemInstruction"))
    for content in body.get("contents") or ():
        texts += _texts(content)
    return texts


def _last_user(body: dict[str, Any]) -> dict[str, Any]:
    contents = [c for c in body.get("contents") or () if isinstance(c, dict)]
    return next((c for c in reversed(contents) if c.get("role", "user") == "user"), {})


def _usage(prompt: int, candidates: int, asked: Behaviour) -> dict[str, Any]:
    prompt += asked.cached_tokens
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + asked.reasoning_tokens,
    }
    if asked.cached_tokens:
        usage["cachedContentTokenCount"] = asked.cached_tokens
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if asked.cached_tokens:
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": asked.cached_tokens}]
    if asked.reasoning_tokens:
        usage["thoughtsTokenCount"] = asked.reasoning_tokens
    return usage


def _function_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """The call the model makes: the first allowed declared function, when asked to."""
    if generation.texts_of(_last_user(body).get("parts")) != [TOOL_PROMPT]:
        return None
    declarations = [
        declaration
        for tool in body.get("tools") or ()
        if isinstance(tool, dict)
        for declaration in tool.get("functionDeclarations") or ()
        if isinstance(declaration, dict)
    ]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    if not declarations or config.get("mode") == "NONE":
        return None
    allowed = config.get("allowedFunctionNames") or [d.get("name") for d in declarations]
    chosen = next((d for d in declarations if d.get("name") in allowed), declarations[0])
    schema = chosen.get("parameters") or chosen.get("parametersJsonSchema") or {}
    properties = schema.get("properties") or {}
    args = {
        name: ARGUMENT_VALUES.get(str(prop.get("type", "")).lower())
        for name, prop in properties.items()
        if isinstance(prop, dict)
    }
    return {"name": chosen.get("name", ""), "args": args}


def _missing_signature(body: dict[str, Any], model: str) -> str | None:
    """Gemini 3 refuses a current-turn function call replayed without its thought signature."""
    if not model.startswith("gemini-3"):
        return None
    contents = [c for c in body.get("contents") or () if isinstance(c, dict)]
    # The current turn starts after the last user content holding text (not a tool result).
    start = max(
        (i for i, c in enumerate(contents) if c.get("role", "user") == "user" and _texts(c)),
        default=0,
    )
    for position, content in enumerate(contents[start:], start + 1):
        calls = [
            p for p in content.get("parts") or () if isinstance(p, dict) and "functionCall" in p
        ]
        if calls and not calls[0].get("thoughtSignature"):
            name = calls[0]["functionCall"].get("name", "")
            return MISSING_SIGNATURE_MESSAGE.format(name=name, position=position)
    return None


def _signature(name: str) -> str:
    return base64.b64encode(f"fake thought before calling {name}".encode()).decode()


def _candidates(parts: list[dict[str, Any]], count: int, finish: str | None) -> list[Any]:
    candidates = []
    for index in range(count):
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish:
            candidate["finishReason"] = finish
        candidate["index"] = index
        candidates.append(candidate)
    return candidates


def _refusal(request: web.Request, body: dict[str, Any]) -> web.Response | None:
    """The error this request gets before any generation, if any."""
    if not (request.headers.get("x-goog-api-key") or request.query.get("key")):
        return error_response(403, MISSING_KEY_MESSAGE)
    missing = _missing_signature(body, request.match_info["model"])
    return error_response(400, missing) if missing else None


@routes.post(MODEL_PATH + ":generateContent")
async def generate_content(request: web.Request) -> web.StreamResponse:
    return await _generate(request, stream=False)


@routes.post(MODEL_PATH + ":streamGenerateContent")
async def stream_generate_content(request: web.Request) -> web.StreamResponse:
    return await _generate(request, stream=True)


async def _generate(request: web.Request, stream: bool) -> web.StreamResponse:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    refused = _refusal(request, body)
    if refused is not None:
        return refused
    asked = behaviour.of(request)
    config = body.get("generationConfig") or {}
    count = config.get("candidateCount")
    count = count if isinstance(count, int) and count > 0 else 1
    prompt = generation.prompt_tokens(_prompt_texts(body))
    base = {"modelVersion": request.match_info["model"], "responseId": _response_id()}
    call = _function_call(body)
    if call is not None:
        part = {"functionCall": call, "thoughtSignature": _signature(call["name"])}
        tokens = generation.prompt_tokens([orjson.dumps(call).decode()]) * count
        answer = {
            "candidates": _candidates([part], count, "STOP"),
            "usageMetadata": _usage(prompt, tokens, asked),
            **base,
        }
        if not stream:
            return json_response(answer)
        return await _send(request, [answer])

    echo = generation.is_echo(_last_user(body).get("parts"))
    reply = generation.answer(
        asked, received(request, body) if echo else None, config.get("maxOutputTokens")
    )
    finish = "MAX_TOKENS" if reply.truncated else "STOP"
    if not stream:

        def build(reply: Reply) -> dict[str, Any]:
            return {
                "candidates": _candidates([{"text": reply.text}], count, finish),
                "usageMetadata": _usage(prompt, reply.tokens * count, asked),
                **base,
            }

        if asked.pad_bytes is None:
            return json_response(build(reply))
        return web.Response(body=generation.body_bytes(asked, build, reply), headers=headers())

    pieces = reply.chunks(asked.chunks) or [""]
    chunks, words = [], 0
    for number, text in enumerate(pieces, 1):
        words += len(text.split())
        last = number == len(pieces)
        chunks.append(
            {
                "candidates": _candidates([{"text": text}], count, finish if last else None),
                "usageMetadata": _usage(prompt, words * count, asked),
                **base,
            }
        )
    return await _send(request, chunks)


async def _send(request: web.Request, chunks: list[dict[str, Any]]) -> web.StreamResponse:
    """SSE events with `?alt=sse`; otherwise Google's default, a JSON array sent piece by piece."""
    if request.query.get("alt") == "sse":
        frames = [_sse(chunk) for chunk in chunks]
        return await streaming.send(request, headers("text/event-stream"), [], frames, [])
    frames = [
        (b"[" if number == 0 else b",\r\n") + orjson.dumps(chunk, option=orjson.OPT_INDENT_2)
        for number, chunk in enumerate(chunks)
    ]
    return await streaming.send(request, headers(), [], frames, [b"]"])


@routes.post(MODEL_PATH + ":countTokens")
async def count_tokens(request: web.Request) -> web.Response:
    body = json_body(await request.read())
    if body is None:
        return error_response(400, INVALID_JSON_MESSAGE)
    refused = _refusal(request, body)
    if refused is not None:
        return refused
    inner = body.get("generateContentRequest")
    tokens = generation.prompt_tokens(_prompt_texts(inner if isinstance(inner, dict) else body))
    return json_response(
        {"totalTokens": tokens, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}]}
    )


def _response_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")[:22]

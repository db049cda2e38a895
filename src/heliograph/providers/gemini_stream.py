"""Gemini's answers read as OpenAI's: the JSON answer, errors, and the SSE stream.

The JSON answer and the stream translator share the readers of candidates, parts, finish
reasons and usage, so both turn the same Gemini content into the same OpenAI content.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import openai_error_body
from heliograph.providers import openai_shapes as oa
from heliograph.providers.base import as_int, dig
from heliograph.providers.gemini import parts_of, usage_from
from heliograph.providers.sse import EventBuffer
from heliograph.usage import Usage

# A functionCall's thought signature rides in the OpenAI tool call id after this mark, since
# the id is the one field every OpenAI client sends back; Gemini 3 refuses a replayed call
# without its signature.
SIGNATURE_MARK = "__thought__"

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def _new_token() -> str:
    return uuid.uuid4().hex


def _finish_reason(reason: Any, called_tools: bool) -> str:
    """OpenAI's finish_reason; Gemini says STOP after function calls, OpenAI says tool_calls."""
    mapped = oa.finish_reason(FINISH_REASONS, reason)
    return "tool_calls" if called_tools and mapped == "stop" else mapped


def _usage(metadata: Any) -> dict[str, Any]:
    """OpenAI usage from `usageMetadata` (zeros without it), counted as gemini.usage_from does."""
    counted = usage_from(metadata) or Usage()
    prompt_details = {
        "cached_tokens": counted.cache_read_tokens,
        "audio_tokens": counted.prompt_audio_tokens,
    }
    completion_details = {
        "reasoning_tokens": counted.reasoning_tokens,
        "audio_tokens": counted.completion_audio_tokens,
    }
    return oa.openai_usage(
        counted.prompt_tokens, counted.completion_tokens, prompt_details, completion_details
    )


def _tool_call_id(function_call: dict[str, Any], token: str, choice: int, number: int) -> str:
    """Gemini's own call id when it sends one, else one derived from the response."""
    given = function_call.get("id")
    if isinstance(given, str) and given:
        return given
    digest = hashlib.sha256(f"{token}:{choice}:{number}".encode()).hexdigest()
    return f"call_{digest[:24]}"


def _tool_call(part: dict[str, Any], call_id: str) -> dict[str, Any]:
    """An OpenAI tool call from a `functionCall` part, its thought signature kept in the id."""
    call = part["functionCall"]
    signature = part.get("thoughtSignature")
    if isinstance(signature, str) and signature:
        call_id = f"{call_id}{SIGNATURE_MARK}{signature}"
    args = call.get("args")
    arguments = orjson.dumps(args if isinstance(args, dict) else {}).decode()
    return oa.tool_call(call_id, str(call.get("name") or ""), arguments)


def _is_thought(part: dict[str, Any]) -> bool:
    return part.get("thought") is True


def openai_error(status: int, error: Any, fallback: str = "") -> dict[str, Any]:
    """OpenAI's error body from Google's `error` object (or whatever came instead)."""
    error = error if isinstance(error, dict) else {}
    message = error.get("message")
    code = error.get("status")
    reasons = [d.get("reason") for d in error.get("details") or () if isinstance(d, dict)]
    if "API_KEY_INVALID" in reasons:
        code = "invalid_api_key"
    status = as_int(error.get("code")) or status
    return openai_error_body(
        message if isinstance(message, str) and message else fallback,
        ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error"),
        code.lower() if isinstance(code, str) else None,
    )


def chat_completion(response: dict[str, Any], model: str) -> dict[str, Any]:
    """The OpenAI `chat.completion` for a `GenerateContentResponse`."""
    response_id = response.get("responseId")
    completion_id = f"chatcmpl-{response_id or _new_token()}"
    candidates = [c for c in response.get("candidates") or () if isinstance(c, dict)]
    choices = [_choice(c, position, completion_id) for position, c in enumerate(candidates)]
    if not choices:  # the prompt was blocked (promptFeedback.blockReason): nothing generated
        choices = [_choice({"finishReason": "SAFETY"}, 0, completion_id)]
    return oa.chat_completion(completion_id, model, choices, _usage(response.get("usageMetadata")))


def _choice(candidate: dict[str, Any], position: int, completion_id: str) -> dict[str, Any]:
    index = candidate.get("index")
    index = index if isinstance(index, int) else position
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts_of(candidate):
        text = part.get("text")
        if isinstance(text, str):
            (thoughts if _is_thought(part) else texts).append(text)
        elif isinstance(part.get("functionCall"), dict):
            call_id = _tool_call_id(part["functionCall"], completion_id, index, len(calls))
            calls.append(_tool_call(part, call_id))
    message = oa.assistant_message("".join(texts) if texts else None, thoughts, calls)
    return oa.choice(message, _finish_reason(candidate.get("finishReason"), bool(calls)), index)


@dataclass
class _ChoiceState:
    calls: int = 0  # tool calls sent so far
    finished: bool = False


class GeminiStreamTranslator:
    """Gemini `streamGenerateContent?alt=sse` bytes in, OpenAI `chat.completion.chunk` SSE out.

    Per candidate: a role chunk when it first appears, its text / thought / function-call
    deltas, and a finish_reason chunk when Gemini reports one; at the end a `choices: []`
    usage chunk (from the last usageMetadata) if asked for, then `[DONE]`.
    """

    def __init__(self, model: str, include_usage: bool, created: int | None = None) -> None:
        self._include_usage = include_usage
        # OpenAI sends `usage: null` on every chunk but the last when usage is asked for.
        self._writer = oa.ChunkWriter("", model, created, null_usage=include_usage)
        self._buffer = EventBuffer()
        self._token: str | None = None
        self._choices: dict[int, _ChoiceState] = {}
        self._usage: Any = None

    def feed(self, chunk: bytes) -> bytes:
        complete = self._buffer.feed(chunk)
        return b"".join(self._event(block) for block in complete.split(b"\n\n"))

    def finish(self) -> bytes:
        rest = self._buffer.finish()
        out = [self._event(block) for block in rest.split(b"\n\n")]
        if self._include_usage:
            out.append(self._out().usage(_usage(self._usage)))
        out.append(oa.DONE)
        return b"".join(out)

    @property
    def _id(self) -> str:
        if self._token is None:
            self._token = _new_token()
        return f"chatcmpl-{self._token}"

    def _out(self) -> oa.ChunkWriter:
        """The chunk writer, its id settled: the first responseId, else a new token."""
        self._writer.id = self._id
        return self._writer

    def _event(self, block: bytes) -> bytes:
        lines = [line[5:] for line in block.split(b"\n") if line.startswith(b"data:")]
        if not lines:
            return b""
        try:
            payload = orjson.loads(b"\n".join(line.removeprefix(b" ") for line in lines))
        except orjson.JSONDecodeError:
            return b""  # a cut stream's unfinished last event
        if not isinstance(payload, dict):
            return b""
        if "error" in payload:  # Google can fail mid-stream; OpenAI clients raise on this
            return oa.sse_event(openai_error(500, payload["error"], "Gemini stream failed"))
        return self._chunk(payload)

    def _chunk(self, payload: dict[str, Any]) -> bytes:
        if self._token is None:
            response_id = payload.get("responseId")
            self._token = response_id if isinstance(response_id, str) and response_id else None
        if isinstance(payload.get("usageMetadata"), dict):
            self._usage = payload["usageMetadata"]
        out: list[bytes] = []
        candidates = payload.get("candidates")
        if not candidates and dig(payload, "promptFeedback", "blockReason"):
            if 0 not in self._choices:  # the prompt itself was blocked: no candidate comes
                self._start(0, out)
                self._finish(0, "SAFETY", out)
            return b"".join(out)
        for position, candidate in enumerate(candidates or ()):
            if not isinstance(candidate, dict):
                continue
            index = candidate.get("index")
            index = index if isinstance(index, int) else position
            choice = self._start(index, out)
            for part in parts_of(candidate):
                self._part(index, choice, part, out)
            if candidate.get("finishReason"):
                self._finish(index, candidate["finishReason"], out)
        return b"".join(out)

    def _start(self, index: int, out: list[bytes]) -> _ChoiceState:
        choice = self._choices.get(index)
        if choice is None:
            choice = self._choices[index] = _ChoiceState()
            out.append(self._out().role(index))
        return choice

    def _part(
        self, index: int, choice: _ChoiceState, part: dict[str, Any], out: list[bytes]
    ) -> None:
        text = part.get("text")
        if isinstance(text, str) and text:
            field = "reasoning_content" if _is_thought(part) else "content"
            out.append(self._out().delta({field: text}, index=index))
        elif isinstance(part.get("functionCall"), dict):
            call_id = _tool_call_id(part["functionCall"], self._id, index, choice.calls)
            call = {"index": choice.calls, **_tool_call(part, call_id)}
            choice.calls += 1
            out.append(self._out().delta({"tool_calls": [call]}, index=index))

    def _finish(self, index: int, reason: Any, out: list[bytes]) -> None:
        choice = self._choices[index]
        if not choice.finished:
            choice.finished = True
            out.append(self._out().finish(_finish_reason(reason, choice.calls > 0), index))

"""OpenAI's chat-completions shapes, as the non-OpenAI adapters write them.

One place for the `chat.completion` document, its choices and tool calls, the
`chat.completion.chunk` SSE events of a stream, and OpenAI's error body, so the Anthropic,
Bedrock and Gemini adapters answer clients byte for byte alike.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from heliograph.errors import UpstreamError

DONE = b"data: [DONE]\n\n"

Shape = dict[str, Any]


def json_body(data: bytes) -> Any:
    """A provider body parsed as JSON, or None when it is not JSON (an error page, a proxy)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def json_object(data: bytes, provider: str, what: str) -> Shape:
    """A successful provider answer, which must be one JSON object; else an UpstreamError."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UpstreamError(f"{provider} answered with a body that is not JSON") from None
    if not isinstance(parsed, dict):
        raise UpstreamError(f"{provider} answered with JSON that is not {what}")
    return parsed


def error_text(data: bytes, status: int, provider: str) -> str:
    """An error body as text, for when it holds no message of its own."""
    return data.decode("utf-8", "replace").strip() or f"{provider} answered HTTP {status}"


def finish_reason(reasons: Mapping[str, str], reason: Any) -> str:
    """OpenAI's finish_reason for a provider's stop reason; "stop" for unknown ones."""
    return reasons.get(reason, "stop") if isinstance(reason, str) else "stop"


def openai_usage(
    prompt: int, completion: int, prompt_details: Shape, completion_details: Shape | None = None
) -> Shape:
    """OpenAI's usage object; the details are each provider's own counts."""
    usage: Shape = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": prompt_details,
    }
    if completion_details is not None:
        usage["completion_tokens_details"] = completion_details
    return usage


def tool_call(call_id: Any, name: Any, arguments: str) -> Shape:
    """A function tool call, its arguments as JSON text."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_call_start(index: int, call_id: Any, name: Any) -> Shape:
    """A stream's first delta of a tool call: its id and name, no arguments yet."""
    return {"index": index, **tool_call(call_id, name, "")}


def tool_call_arguments(index: int, arguments: str) -> Shape:
    """A stream's later delta of a tool call: more of its arguments."""
    return {"index": index, "function": {"arguments": arguments}}


def assistant_message(content: str | None, reasoning: list[str], calls: list[Shape]) -> Shape:
    """A choice's message; thinking goes in `reasoning_content`."""
    message: Shape = {"role": "assistant", "content": content, "refusal": None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    return message


def choice(message: Shape, finish: str, index: int = 0) -> Shape:
    return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}


def chat_completion(
    completion_id: str, model: str, choices: list[Shape], usage: Shape | None
) -> Shape:
    """A `chat.completion` document, created now; without usage when there is none."""
    completion: Shape = {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        completion["usage"] = usage
    return completion


def sse_event(payload: Shape) -> bytes:
    """One SSE `data:` event; errors mid-stream go out this way too, as OpenAI sends them."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class ChunkWriter:
    """The `chat.completion.chunk` events of one stream, all with its id, created and model.

    `id` may change until the first chunk goes out (providers name the answer late).
    With `null_usage`, every chunk carries `usage: null` as OpenAI's do when usage is asked.
    """

    def __init__(
        self, chunk_id: str, model: str, created: int | None = None, null_usage: bool = False
    ) -> None:
        self.id = chunk_id
        self._model = model
        self._created = int(time.time()) if created is None else created
        self._null_usage = null_usage

    def delta(self, delta: Shape, finish: str | None = None, index: int = 0) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk = self._head([choice])
        if self._null_usage:
            chunk["usage"] = None
        return sse_event(chunk)

    def role(self, index: int = 0) -> bytes:
        """A choice's first chunk."""
        return self.delta({"role": "assistant", "content": ""}, index=index)

    def finish(self, reason: str, index: int = 0) -> bytes:
        return self.delta({}, reason, index)

    def usage(self, usage: Any) -> bytes:
        """The last chunk before `[DONE]` when usage was asked: no choices, the totals."""
        chunk = self._head([])
        chunk["usage"] = usage
        return sse_event(chunk)

    def _head(self, choices: list[Shape]) -> Shape:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }

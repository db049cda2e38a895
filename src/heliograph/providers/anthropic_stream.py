"""Anthropic's answers in OpenAI's shapes: usage, finish reasons, errors and the SSE stream.

The stream translator turns Messages events (message_start, content_block_*, message_delta,
message_stop, ping, error) into `chat.completion.chunk` events, for any chunking of the input.
"""

from __future__ import annotations

import uuid
from typing import Any

from heliograph.errors import openai_error_body
from heliograph.providers import openai_shapes as oa
from heliograph.providers.anthropic import usage_from
from heliograph.providers.base import as_int
from heliograph.providers.sse import EventBuffer, parse_events

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# Anthropic's error type -> OpenAI's (type, code); Anthropic's name stays where OpenAI has none.
ERROR_KINDS: dict[str, tuple[str, str | None]] = {
    "invalid_request_error": ("invalid_request_error", None),
    "authentication_error": ("authentication_error", "invalid_api_key"),
    "permission_error": ("permission_error", None),
    "not_found_error": ("not_found_error", None),
    "request_too_large": ("invalid_request_error", "request_too_large"),
    "rate_limit_error": ("rate_limit_error", "rate_limit_exceeded"),
    "billing_error": ("insufficient_quota", "insufficient_quota"),
    "api_error": ("server_error", None),
    "overloaded_error": ("server_error", "overloaded"),
    "timeout_error": ("timeout_error", None),
}


def finish_reason(stop_reason: Any) -> str:
    return oa.finish_reason(FINISH_REASONS, stop_reason)


def openai_usage(usage: Any) -> dict[str, Any] | None:
    """OpenAI's usage object; `prompt_tokens` includes cache reads and writes, as OpenAI's does."""
    counted = usage_from(usage)
    if counted is None:
        return None
    details = {
        "cached_tokens": counted.cache_read_tokens,
        "cache_creation_input_tokens": counted.cache_write_tokens,
    }
    return oa.openai_usage(counted.prompt_tokens, counted.completion_tokens, details)


def openai_error(status: int, payload: Any, fallback: str) -> dict[str, Any]:
    """OpenAI's error object for Anthropic's `{"type": "error", "error": {"type", "message"}}`."""
    error = payload.get("error") if isinstance(payload, dict) else None
    anthropic_kind, message = None, fallback
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        message = error["message"]
        if isinstance(error.get("type"), str):
            anthropic_kind = error["type"]
    default = ("server_error" if status >= 500 else "invalid_request_error", None)
    kind, code = ERROR_KINDS.get(anthropic_kind, default) if anthropic_kind else default
    if code is None and anthropic_kind and anthropic_kind != kind:
        code = anthropic_kind  # keep Anthropic's name when OpenAI's type differs
    return openai_error_body(message, kind, code)


class AnthropicStream:
    """One Anthropic Messages stream in, OpenAI `chat.completion.chunk` SSE out."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self._include_usage = include_usage
        # The id is replaced by the message id at message_start.
        self._out = oa.ChunkWriter(f"chatcmpl-{uuid.uuid4().hex}", model)
        self._buffer = EventBuffer()
        self._usage: dict[str, Any] = {}
        self._stop_reason: str | None = None
        self._tool_calls: dict[int, int] = {}  # content block index -> OpenAI tool call index
        self._ended = False

    def feed(self, chunk: bytes) -> bytes:
        return self._translate(self._buffer.feed(chunk))

    def finish(self) -> bytes:
        rest = self._buffer.finish()
        out = self._translate(rest) if rest.strip() else b""
        if not self._ended:
            if self._stop_reason is not None:  # only message_stop was lost; the answer is whole
                out += self._end()
            else:
                self._ended = True
                message = "Anthropic's stream ended before the message was complete"
                out += oa.sse_event(openai_error(502, None, message))
        return out + oa.DONE

    def _translate(self, complete: bytes) -> bytes:
        return b"".join(self._on(event.data) for event in parse_events(complete))

    def _on(self, data: Any) -> bytes:
        if not isinstance(data, dict) or self._ended:
            return b""
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") or {}
            if isinstance(message.get("id"), str):
                self._out.id = "chatcmpl-" + message["id"]
            self._add_usage(message.get("usage"))
            return self._out.role()
        if kind == "content_block_start":
            return self._block_start(as_int(data.get("index")), data.get("content_block") or {})
        if kind == "content_block_delta":
            return self._delta(as_int(data.get("index")), data.get("delta") or {})
        if kind == "message_delta":
            stop_reason = (data.get("delta") or {}).get("stop_reason")
            if isinstance(stop_reason, str):
                self._stop_reason = stop_reason
            self._add_usage(data.get("usage"))
        elif kind == "message_stop":
            return self._end()
        elif kind == "error":
            self._ended = True  # Anthropic sends nothing after an error event
            return oa.sse_event(openai_error(500, data, "Anthropic stream error"))
        return b""  # ping, content_block_stop, and event types added later

    def _block_start(self, index: int, block: dict[str, Any]) -> bytes:
        kind = block.get("type")
        if kind == "tool_use":
            position = self._tool_calls[index] = len(self._tool_calls)
            call = oa.tool_call_start(position, block.get("id"), block.get("name"))
            return self._out.delta({"tool_calls": [call]})
        if kind == "text" and block.get("text"):
            return self._out.delta({"content": block["text"]})
        if kind == "thinking" and block.get("thinking"):
            return self._out.delta({"reasoning_content": block["thinking"]})
        return b""

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return self._out.delta({"content": delta["text"]})
        if kind == "thinking_delta" and delta.get("thinking"):
            return self._out.delta({"reasoning_content": delta["thinking"]})
        if kind == "input_json_delta" and delta.get("partial_json"):
            call = oa.tool_call_arguments(self._tool_calls.get(index, 0), delta["partial_json"])
            return self._out.delta({"tool_calls": [call]})
        return b""  # signature_delta, citations_delta: no OpenAI counterpart

    def _add_usage(self, usage: Any) -> None:
        # message_delta's counts are cumulative, so later values replace earlier ones.
        if isinstance(usage, dict):
            self._usage.update({key: value for key, value in usage.items() if value is not None})

    def _end(self) -> bytes:
        self._ended = True
        out = self._out.finish(finish_reason(self._stop_reason))
        if self._include_usage:
            out += self._out.usage(openai_usage(self._usage))
        return out

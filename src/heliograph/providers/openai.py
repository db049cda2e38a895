"""OpenAI's wire format (and every OpenAI-compatible provider's): usage and stream assembly."""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.providers.base import ResponseSummary, as_int, dig
from heliograph.providers.sse import EventFilter, SSEEvent
from heliograph.usage import Usage

USAGE_PATHS = ("/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions")


def usage_from(usage: Any) -> Usage | None:
    """Chat/completions usage (prompt_/completion_tokens) or Responses usage (input_/output_)."""
    if not isinstance(usage, dict):
        return None
    if "input_tokens" in usage and "prompt_tokens" not in usage:  # Responses API
        return Usage(
            prompt_tokens=as_int(usage.get("input_tokens")),
            completion_tokens=as_int(usage.get("output_tokens")),
            cache_read_tokens=as_int(dig(usage, "input_tokens_details", "cached_tokens")),
            reasoning_tokens=as_int(dig(usage, "output_tokens_details", "reasoning_tokens")),
        )
    return Usage(
        prompt_tokens=as_int(usage.get("prompt_tokens")),
        completion_tokens=as_int(usage.get("completion_tokens")),
        cache_read_tokens=as_int(dig(usage, "prompt_tokens_details", "cached_tokens")),
        prompt_audio_tokens=as_int(dig(usage, "prompt_tokens_details", "audio_tokens")),
        completion_audio_tokens=as_int(dig(usage, "completion_tokens_details", "audio_tokens")),
        reasoning_tokens=as_int(dig(usage, "completion_tokens_details", "reasoning_tokens")),
    )


def needs_usage_injection(path: str, request: Any) -> bool:
    """A stream that would end without a usage chunk unless we ask for one."""
    if not isinstance(request, dict) or request.get("stream") is not True:
        return False
    if not path.endswith(USAGE_PATHS):
        return False
    options = request.get("stream_options")
    return not (isinstance(options, dict) and options.get("include_usage") is True)


def with_usage_requested(request: dict[str, Any]) -> bytes:
    options = request.get("stream_options")
    merged = (
        {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
    )
    return orjson.dumps({**request, "stream_options": merged})


# What the chunk that include_usage adds holds and no other chunk does (two spellings).
USAGE_CHUNK_MARKERS = (b'"choices":[]', b'"choices": []')


def may_hold_usage_chunk(data: bytes) -> bool:
    """Cheap test: can these bytes contain the chunk that include_usage adds?"""
    return any(marker in data for marker in USAGE_CHUNK_MARKERS)


def is_usage_only_chunk(event_block: bytes) -> bool:
    """The extra chunk (`choices: []` with `usage`) that include_usage adds to a stream."""
    if not may_hold_usage_chunk(event_block):
        return False
    for line in event_block.split(b"\n"):
        if line.startswith(b"data:"):
            try:
                chunk = orjson.loads(line[5:])
            except orjson.JSONDecodeError:
                return False
            return (
                isinstance(chunk, dict) and chunk.get("choices") == [] and bool(chunk.get("usage"))
            )
    return False


def usage_chunk_filter() -> EventFilter:
    """A stream relay that keeps the usage chunk from a client that did not ask for it."""
    return EventFilter(USAGE_CHUNK_MARKERS, is_usage_only_chunk)


class OpenAIFormat:
    name = "openai"

    def summarize(self, body: Any) -> ResponseSummary:
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        model = body.get("model")
        return ResponseSummary(
            model if isinstance(model, str) else None, usage_from(body.get("usage"))
        )

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        chunks = [event.data for event in events if isinstance(event.data, dict)]
        completed = [
            c for c in chunks if isinstance(c, dict) and c.get("type") == "response.completed"
        ]
        if completed:  # Responses API stream: the last event carries the whole response
            response = completed[-1].get("response") or {}
            return ResponseSummary(
                response.get("model"), usage_from(response.get("usage")), response
            )
        return _assemble_chunks(chunks)


_BASE_KEYS = ("id", "created", "model", "system_fingerprint", "service_tier")
_TEXT_FIELDS = frozenset({"content", "refusal", "reasoning_content"})


def _assemble_chunks(chunks: list[dict[str, Any]]) -> ResponseSummary:
    base: dict[str, Any] = {}
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    for chunk in chunks:
        if len(base) < len(_BASE_KEYS):
            for key in _BASE_KEYS:
                if key not in base and key in chunk:
                    base[key] = chunk[key]
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict):
                _merge_choice(choices.setdefault(as_int(choice.get("index")), {}), choice)
    is_text = any("text" in c for c in choices.values())
    body = {
        "id": base.get("id"),
        "object": "text_completion" if is_text else "chat.completion",
        "created": base.get("created"),
        "model": base.get("model"),
        "choices": [_finish_choice(i, c, is_text) for i, c in sorted(choices.items())],
    }
    if "system_fingerprint" in base:
        body["system_fingerprint"] = base["system_fingerprint"]
    if usage is not None:
        body["usage"] = usage
    model = base.get("model")
    return ResponseSummary(model if isinstance(model, str) else None, usage_from(usage), body)


# Text arrives in pieces, one per chunk (thousands in a long answer): they are kept in lists
# and joined once, in _finish_choice, rather than copied into a longer string each time.
def _merge_choice(acc: dict[str, Any], choice: dict[str, Any]) -> None:
    if choice.get("finish_reason"):
        acc["finish_reason"] = choice["finish_reason"]
    if "text" in choice:
        acc.setdefault("text", []).append(choice.get("text") or "")
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        return
    message = acc.get("message")
    if message is None:
        message = acc["message"] = {"role": "assistant", "content": None}
    for key, value in delta.items():
        if key in _TEXT_FIELDS:
            if isinstance(value, str):
                pieces = message.get(key)
                if pieces is None:
                    message[key] = [value]
                else:
                    pieces.append(value)
        elif key == "role":
            if value:
                message["role"] = value
        elif key == "tool_calls":
            calls = message.setdefault("tool_calls", {})
            for call in value or ():
                if isinstance(call, dict):
                    _merge_tool_call(calls, call)


def _merge_tool_call(calls: dict[int, dict[str, Any]], call: dict[str, Any]) -> None:
    slot = calls.setdefault(as_int(call.get("index")), {"function": {"arguments": []}})
    for key in ("id", "type"):
        if call.get(key):
            slot[key] = call[key]
    function = call.get("function") or {}
    if function.get("name"):
        slot["function"]["name"] = function["name"]
    slot["function"]["arguments"].append(function.get("arguments") or "")


def _finish_choice(index: int, acc: dict[str, Any], is_text: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"index": index}
    if is_text:
        result["text"] = "".join(acc.get("text", ()))
    else:
        message = dict(acc.get("message") or {"role": "assistant", "content": None})
        for key, value in message.items():
            if key in _TEXT_FIELDS and isinstance(value, list):
                message[key] = "".join(value)
        if "tool_calls" in message:
            calls = [call for _, call in sorted(message["tool_calls"].items())]
            for call in calls:
                call["function"]["arguments"] = "".join(call["function"]["arguments"])
            message["tool_calls"] = calls
        result["message"] = message
    result["finish_reason"] = acc.get("finish_reason")
    return result

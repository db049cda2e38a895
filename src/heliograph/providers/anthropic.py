"""Anthropic's Messages wire format: usage and stream assembly."""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.providers.base import ResponseSummary, as_int
from heliograph.providers.sse import SSEEvent
from heliograph.usage import Usage


def usage_from(usage: Any) -> Usage | None:
    """Anthropic counts cached input apart from `input_tokens`; we fold it back in."""
    if not isinstance(usage, dict):
        return None
    cache_read = as_int(usage.get("cache_read_input_tokens"))
    cache_write = as_int(usage.get("cache_creation_input_tokens"))
    return Usage(
        prompt_tokens=as_int(usage.get("input_tokens")) + cache_read + cache_write,
        completion_tokens=as_int(usage.get("output_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


class AnthropicFormat:
    name = "anthropic"

    def summarize(self, body: Any) -> ResponseSummary:
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        model = body.get("model")
        return ResponseSummary(
            model if isinstance(model, str) else None, usage_from(body.get("usage"))
        )

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        message: dict[str, Any] = {}
        blocks: dict[int, dict[str, Any]] = {}
        partial_json: dict[int, str] = {}
        usage: dict[str, Any] = {}
        for event in events:
            data = event.data
            if not isinstance(data, dict):
                continue
            kind = data.get("type")
            if kind == "message_start" and isinstance(data.get("message"), dict):
                message = dict(data["message"])
                usage.update(message.get("usage") or {})
            elif kind == "content_block_start":
                blocks[as_int(data.get("index"))] = dict(data.get("content_block") or {})
            elif kind == "content_block_delta":
                index = as_int(data.get("index"))
                _apply_delta(
                    blocks.setdefault(index, {}), data.get("delta") or {}, partial_json, index
                )
            elif kind == "message_delta":
                message.update(data.get("delta") or {})
                usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
        for index, text in partial_json.items():
            try:
                blocks[index]["input"] = orjson.loads(text) if text else {}
            except orjson.JSONDecodeError:
                blocks[index]["input"] = text
        message["content"] = [block for _, block in sorted(blocks.items())]
        if usage:
            message["usage"] = usage
        model = message.get("model")
        return ResponseSummary(
            model if isinstance(model, str) else None, usage_from(usage or None), message
        )


def _apply_delta(
    block: dict[str, Any], delta: dict[str, Any], partial_json: dict[int, str], index: int
) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + (delta.get("text") or "")
    elif kind == "input_json_delta":
        partial_json[index] = partial_json.get(index, "") + (delta.get("partial_json") or "")
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + (delta.get("thinking") or "")
    elif kind == "signature_delta":
        block["signature"] = delta.get("signature")

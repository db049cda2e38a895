"""The wire format of `/custom/v1/log`: whatever usage shape the manual-logger docs list.

Non-streaming bodies may carry OpenAI-style `usage` (prompt_/completion_tokens, or the
Responses API's input_/output_tokens), Anthropic-style `usage` (input_/output_tokens and
its cache counts), Google's `usageMetadata`, Bedrock's camel-case `usage`, or the flat
`prompt_token_count` / `generation_token_count`. Streams are handed to the OpenAI,
Anthropic or Gemini assembler, whichever speaks the chunks.
"""

from __future__ import annotations

from typing import Any

from heliograph.providers import anthropic, bedrock, gemini, openai
from heliograph.providers.base import ResponseSummary, as_int
from heliograph.providers.gemini import GEMINI_FORMAT
from heliograph.providers.registry import ANTHROPIC_FORMAT, OPENAI_FORMAT
from heliograph.providers.sse import SSEEvent
from heliograph.usage import Usage

ANTHROPIC_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta"})


def custom_usage(body: dict[str, Any]) -> Usage | None:
    """Token usage from any of the documented shapes, or None when the body has none."""
    usage = body.get("usage")
    if isinstance(usage, dict):
        if "cache_read_input_tokens" in usage or "cache_creation_input_tokens" in usage:
            return anthropic.usage_from(usage)
        if "inputTokens" in usage or "outputTokens" in usage:  # Bedrock
            return bedrock.usage_from(usage)
        return openai.usage_from(usage)
    if isinstance(body.get("usageMetadata"), dict):
        return gemini.usage_from(body["usageMetadata"])
    if "prompt_token_count" in body or "generation_token_count" in body:
        return Usage(
            prompt_tokens=as_int(body.get("prompt_token_count")),
            completion_tokens=as_int(body.get("generation_token_count")),
        )
    return None


def _model(body: dict[str, Any]) -> str | None:
    model = body.get("model") or body.get("modelVersion")
    return model if isinstance(model, str) else None


class CustomFormat:
    name = "custom"

    def summarize(self, body: Any) -> ResponseSummary:
        if isinstance(body, list):  # Gemini's streamGenerateContent without alt=sse
            return GEMINI_FORMAT.summarize(body)
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        return ResponseSummary(_model(body), custom_usage(body))

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        chunks = [event.data for event in events if isinstance(event.data, dict)]
        if any(chunk.get("type") in ANTHROPIC_EVENTS for chunk in chunks):
            return ANTHROPIC_FORMAT.assemble_stream(events)
        if any("candidates" in chunk or "usageMetadata" in chunk for chunk in chunks):
            return GEMINI_FORMAT.assemble_stream(events)
        return OPENAI_FORMAT.assemble_stream(events)


CUSTOM_FORMAT = CustomFormat()

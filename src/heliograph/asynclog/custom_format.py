"""The wire format of `/custom/v1/log`: whatever usage shape the manual-logger docs list.

Non-streaming bodies may carry OpenAI-style `usage` (prompt_/completion_tokens, or the
Responses API's input_/output_tokens), Anthropic-style `usage` (input_/output_tokens and
its cache counts), Google's `usageMetadata`, Bedrock's camel-case `usage`, or the flat
`prompt_token_count` / `generation_token_count`. Streams are handed to the OpenAI or
Anthropic assembler, whichever speaks the chunks; Gemini chunks are merged here.
"""

from __future__ import annotations

from typing import Any

from heliograph.providers import anthropic, openai
from heliograph.providers.base import ResponseSummary, as_int, dig
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
            return Usage(
                prompt_tokens=as_int(usage.get("inputTokens")),
                completion_tokens=as_int(usage.get("outputTokens")),
            )
        return openai.usage_from(usage)
    if isinstance(body.get("usageMetadata"), dict):
        return gemini_usage(body["usageMetadata"])
    if "prompt_token_count" in body or "generation_token_count" in body:
        return Usage(
            prompt_tokens=as_int(body.get("prompt_token_count")),
            completion_tokens=as_int(body.get("generation_token_count")),
        )
    return None


def gemini_usage(metadata: dict[str, Any]) -> Usage:
    """Google counts thinking apart from candidates; OpenAI semantics count it as completion."""
    thoughts = as_int(metadata.get("thoughtsTokenCount"))
    return Usage(
        prompt_tokens=as_int(metadata.get("promptTokenCount"))
        + as_int(metadata.get("toolUsePromptTokenCount")),
        completion_tokens=as_int(metadata.get("candidatesTokenCount")) + thoughts,
        cache_read_tokens=as_int(metadata.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def _model(body: dict[str, Any]) -> str | None:
    model = body.get("model") or body.get("modelVersion")
    return model if isinstance(model, str) else None


class CustomFormat:
    name = "custom"

    def summarize(self, body: Any) -> ResponseSummary:
        if isinstance(body, list):  # Gemini's streamGenerateContent without alt=sse
            return _gemini_chunks([c for c in body if isinstance(c, dict)])
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        return ResponseSummary(_model(body), custom_usage(body))

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        chunks = [event.data for event in events if isinstance(event.data, dict)]
        if any(chunk.get("type") in ANTHROPIC_EVENTS for chunk in chunks):
            return ANTHROPIC_FORMAT.assemble_stream(events)
        if any("candidates" in chunk or "usageMetadata" in chunk for chunk in chunks):
            return _gemini_chunks(chunks)
        return OPENAI_FORMAT.assemble_stream(events)


def _gemini_chunks(chunks: list[dict[str, Any]]) -> ResponseSummary:
    """Gemini chunks: the text joined; each chunk's usageMetadata is a running total."""
    text = "".join(
        part.get("text") or ""
        for chunk in chunks
        for part in dig(_first_candidate(chunk), "content", "parts") or []
        if isinstance(part, dict)
    )
    metadata = next(
        (c["usageMetadata"] for c in reversed(chunks) if isinstance(c.get("usageMetadata"), dict)),
        None,
    )
    model = next((m for m in map(_model, chunks) if m), None)
    finish = next((r for r in map(_finish_reason, reversed(chunks)) if r), None)
    body: dict[str, Any] = {
        "modelVersion": model,
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish}
        ],
    }
    if metadata is not None:
        body["usageMetadata"] = metadata
    usage = gemini_usage(metadata) if metadata is not None else None
    return ResponseSummary(model, usage, body)


def _first_candidate(chunk: dict[str, Any]) -> Any:
    candidates = chunk.get("candidates")
    return candidates[0] if isinstance(candidates, list) and candidates else None


def _finish_reason(chunk: dict[str, Any]) -> Any:
    return dig(_first_candidate(chunk), "finishReason")


CUSTOM_FORMAT = CustomFormat()

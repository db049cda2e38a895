"""Gemini's generateContent wire format: model, usage and stream assembly for log rows.

Gemini names the model in the path (`/v1beta/models/gemini-2.0-flash:generateContent`), not
in the body; the answer names the version that ran in `modelVersion`. A stream
(`:streamGenerateContent?alt=sse`, or a JSON array without `alt=sse`) is a sequence of
partial answers whose `usageMetadata` is a running total.
"""

from __future__ import annotations

import re
from typing import Any

from heliograph.providers.base import ResponseSummary, as_int, dig
from heliograph.providers.sse import SSEEvent
from heliograph.usage import Usage

_MODEL_IN_PATH = re.compile(r"/models/([^/:]+):(?:streamGenerateContent|generateContent)$")


def model_in_path(path: str) -> str | None:
    """The model a generateContent path names, or None for any other path."""
    found = _MODEL_IN_PATH.search(path)
    return found.group(1) if found else None


def usage_from(metadata: Any) -> Usage | None:
    """Usage from `usageMetadata`: thinking counts as completion, cached tokens inside prompt."""
    if not isinstance(metadata, dict):
        return None
    thoughts = as_int(metadata.get("thoughtsTokenCount"))
    return Usage(
        prompt_tokens=as_int(metadata.get("promptTokenCount"))
        + as_int(metadata.get("toolUsePromptTokenCount")),
        completion_tokens=as_int(metadata.get("candidatesTokenCount")) + thoughts,
        cache_read_tokens=as_int(metadata.get("cachedContentTokenCount")),
        prompt_audio_tokens=_audio(metadata.get("promptTokensDetails")),
        completion_audio_tokens=_audio(metadata.get("candidatesTokensDetails")),
        reasoning_tokens=thoughts,
    )


def _audio(details: Any) -> int:
    if not isinstance(details, list):
        return 0
    return sum(
        as_int(d.get("tokenCount"))
        for d in details
        if isinstance(d, dict) and d.get("modality") == "AUDIO"
    )


def parts_of(candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """A candidate's content parts (text, thought, functionCall, ...)."""
    parts = dig(candidate, "content", "parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


class GeminiFormat:
    name = "gemini"

    def summarize(self, body: Any) -> ResponseSummary:
        if isinstance(body, list):  # streamGenerateContent without alt=sse: a JSON array
            return assemble_chunks([chunk for chunk in body if isinstance(chunk, dict)])
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        return ResponseSummary(_model(body), usage_from(body.get("usageMetadata")))

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        return assemble_chunks([event.data for event in events if isinstance(event.data, dict)])


def _model(body: dict[str, Any]) -> str | None:
    model = body.get("modelVersion")
    return model if isinstance(model, str) else None


def assemble_chunks(chunks: list[dict[str, Any]]) -> ResponseSummary:
    """One GenerateContentResponse from a stream's chunks: each candidate's text (and
    thoughts) joined, its other parts kept, the last finishReason and usageMetadata."""
    candidates: dict[int, dict[str, Any]] = {}
    texts: dict[tuple[int, int], list[str]] = {}  # (candidate, part) -> pieces, joined once
    body: dict[str, Any] = {}
    for chunk in chunks:
        for key in ("modelVersion", "responseId"):
            if key in chunk and key not in body:
                body[key] = chunk[key]
        if isinstance(chunk.get("usageMetadata"), dict):
            body["usageMetadata"] = chunk["usageMetadata"]
        for position, candidate in enumerate(chunk.get("candidates") or ()):
            if not isinstance(candidate, dict):
                continue
            index = candidate.get("index")
            index = index if isinstance(index, int) else position
            slot = candidates.setdefault(index, {"parts": [], "index": index})
            for part in parts_of(candidate):
                _merge_part(slot["parts"], part, texts, index)
            if candidate.get("finishReason"):
                slot["finishReason"] = candidate["finishReason"]
    for (index, at), pieces in texts.items():
        candidates[index]["parts"][at]["text"] = "".join(pieces)
    body["candidates"] = [
        {"content": {"role": "model", "parts": slot.pop("parts")}, **slot}
        for _, slot in sorted(candidates.items())
    ]
    return ResponseSummary(_model(body), usage_from(body.get("usageMetadata")), body)


def _merge_part(
    parts: list[dict[str, Any]],
    part: dict[str, Any],
    texts: dict[tuple[int, int], list[str]],
    index: int,
) -> None:
    """Text continues the last part when that is text of the same kind (thought or not)."""
    text = part.get("text")
    if not isinstance(text, str):
        parts.append(part)
        return
    last = parts[-1] if parts else None
    thought = part.get("thought") is True
    if last is not None and "text" in last and (last.get("thought") is True) == thought:
        texts[(index, len(parts) - 1)].append(text)
        return
    parts.append(dict(part))
    texts[(index, len(parts) - 1)] = [text]


GEMINI_FORMAT = GeminiFormat()

"""`Helicone-Token-Limit-Exception-Handler`: what to do when a prompt exceeds the context.

`truncate` normalises whitespace and trims the longest messages, `middle-out` keeps the start
and end of the conversation and removes from the middle, `fallback` picks the second of two
comma-separated models in `model` when the prompt does not fit the first. Tokens are
estimated at four characters each, the usual rule of thumb for English text.
"""

from __future__ import annotations

import re
from typing import Any

from heliograph.errors import InvalidRequestError

HANDLERS = ("truncate", "middle-out", "fallback")
CHARS_PER_TOKEN = 4
_ELLIPSIS = "\n...\n"

# Context windows in tokens by model-name prefix, most specific first.
CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-5", 400_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("o1-mini", 128_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("claude", 200_000),
    ("gemini-1.5-pro", 2_097_152),
    ("gemini", 1_048_576),
    ("llama-3", 128_000),
    ("mistral-large", 128_000),
    ("mistral-small", 32_000),
    ("deepseek", 64_000),
    ("grok", 131_072),
)


def context_window(model: str) -> int | None:
    name = model.split("/")[0].strip().lower()
    return next((size for prefix, size in CONTEXT_WINDOWS if name.startswith(prefix)), None)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def estimate_tokens(messages: list[Any]) -> int:
    chars = sum(len(_text_of(m.get("content"))) for m in messages if isinstance(m, dict))
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def apply_token_limit(handler: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request to send, changed by `handler` only when it would exceed the context."""
    if handler not in HANDLERS:
        raise InvalidRequestError(
            f"Helicone-Token-Limit-Exception-Handler must be one of {', '.join(HANDLERS)}"
        )
    messages = request.get("messages")
    if not isinstance(messages, list):
        return request
    if handler == "fallback":
        return _fallback(request, messages)
    limit = context_window(request["model"])
    if limit is None or estimate_tokens(messages) <= limit:
        return request
    budget_chars = max(limit - 4 * len(messages), 0) * CHARS_PER_TOKEN
    fitted = (
        _truncate(messages, budget_chars)
        if handler == "truncate"
        else _middle_out(messages, budget_chars)
    )
    return {**request, "messages": fitted}


def _fallback(request: dict[str, Any], messages: list[Any]) -> dict[str, Any]:
    candidates = [m.strip() for m in str(request["model"]).split(",") if m.strip()][:2]
    primary = candidates[0]
    limit = context_window(primary)
    too_long = limit is not None and estimate_tokens(messages) > limit
    chosen = candidates[1] if too_long and len(candidates) == 2 else primary
    return {**request, "model": chosen}


def _with_text(message: dict[str, Any], text: str) -> dict[str, Any]:
    return {**message, "content": text}


def _truncate(messages: list[Any], budget: int) -> list[Any]:
    out = [
        _with_text(m, re.sub(r"\s+", " ", _text_of(m.get("content"))).strip())
        if isinstance(m, dict) and isinstance(m.get("content"), str)
        else m
        for m in messages
    ]
    while sum(len(_text_of(m.get("content"))) for m in out if isinstance(m, dict)) > budget:
        longest = max(range(len(out)), key=lambda i: len(_text_of(out[i].get("content"))))
        text = _text_of(out[longest].get("content"))
        excess = sum(len(_text_of(m.get("content"))) for m in out) - budget
        out[longest] = _with_text(out[longest], text[: max(len(text) - excess, 0)])
        if not text:
            break
    return out


def _middle_out(messages: list[Any], budget: int) -> list[Any]:
    out = list(messages)
    while len(out) > 2 and sum(len(_text_of(m.get("content"))) for m in out) > budget:
        del out[len(out) // 2]  # the middle of the conversation goes first
    total = sum(len(_text_of(m.get("content"))) for m in out)
    if total > budget:  # still too long: cut the middle out of the longest message
        longest = max(range(len(out)), key=lambda i: len(_text_of(out[i].get("content"))))
        text = _text_of(out[longest].get("content"))
        keep = max(len(text) - (total - budget) - len(_ELLIPSIS), 0)
        half = keep // 2
        tail = text[len(text) - half :] if half else ""
        out[longest] = _with_text(out[longest], text[:half] + _ELLIPSIS + tail)
    return out

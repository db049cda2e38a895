"""What the base tier scores in a request, and its verdict: each user message's text, cut
into windows, bounded so that no caller can make one request cost more than MAX_SCORED_CHARS
of scoring (about 1 ms a KB on one core).

Windows: a long message is scored in pieces of WINDOW_CHARS (overlapping by
WINDOW_OVERLAP), so an injection inside a long, benign document is not diluted by the rest
of it; the request's score is its highest window's. The latest user messages come first:
when a conversation is longer than the budget, its oldest text is the part left unscored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from heliograph.security.classifier import InjectionModel

WINDOW_CHARS = 1024
WINDOW_OVERLAP = 128
MAX_SCORED_CHARS = 16 * 1024
MAX_USER_MESSAGES = 32


@dataclass(frozen=True, slots=True)
class Screening:
    score: float  # the highest window's probability; 0.0 when there was no user text
    threat: bool
    scored_chars: int


def user_texts(request: Any) -> list[str]:
    """The text of each user message, latest first: chat `messages` (string content, or its
    text parts), or the Responses API's `input` (a string, or its user items)."""
    if not isinstance(request, dict):
        return []
    messages = request.get("messages")
    if messages is None:
        messages = request.get("input")
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
    if not isinstance(messages, list):
        return []
    texts: list[str] = []
    for message in reversed(messages):
        if len(texts) >= MAX_USER_MESSAGES:
            break
        if isinstance(message, dict) and message.get("role") == "user":
            texts.append(_text_of(message.get("content")))
    return [text for text in texts if text.strip()]


def _text_of(content: Any) -> str:
    """A message's text: its string, or its text parts joined (`text`, `input_text`)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = [p.get("text") for p in content if isinstance(p, dict)]
    return "\n".join(t for t in parts if isinstance(t, str))


def windows(texts: list[str]) -> Iterator[str]:
    """The pieces scored, latest message first, MAX_SCORED_CHARS in all at most."""
    budget = MAX_SCORED_CHARS
    step = WINDOW_CHARS - WINDOW_OVERLAP
    for text in texts:
        start = 0
        while budget > 0:
            piece = text[start : start + min(WINDOW_CHARS, budget)]
            budget -= len(piece)
            yield piece
            if start + WINDOW_CHARS >= len(text):
                break
            start += step


def screen(model: InjectionModel, texts: list[str], threshold: float) -> Screening:
    """The verdict on a request's user texts: a threat when any window scores >= threshold."""
    best = 0.0
    scored = 0
    for piece in windows(texts):
        scored += len(piece)
        best = max(best, model.probability(piece))
        if best >= threshold:
            break
    return Screening(best, best >= threshold, scored)

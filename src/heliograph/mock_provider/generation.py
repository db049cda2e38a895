"""What the fake model answers, and what it costs in tokens.

Token formulas (tests compute expected usage from these):

- prompt text: every text the request sends to the model, concatenated without separators:
  message contents that are strings, the `text` of content parts / blocks, Anthropic's
  `system`, a legacy completion's `prompt`, an embedding's `input` strings.
- base prompt tokens: `len(prompt_text) // 4 + 1` (characters, not bytes).
- words: the reply split before each run of spaces, so "Hi there." is 2 words; a reply of
  W words costs W completion (output) tokens and streams as min(chunks, W) content chunks.
- the reply: `words=N` words cycled from VOCAB, first one capitalised, a full stop at the end;
  or, when the last user message is exactly "echo", the JSON of what the fake received; or,
  on OpenAI's chat completions, when it starts with "reply: ", the rest of it, as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from .behaviour import Behaviour

VOCAB = (
    "the",
    "heliograph",
    "flashes",
    "sunlight",
    "across",
    "a",
    "quiet",
    "valley",
    "and",
    "every",
    "station",
    "answers",
    "in",
    "turn",
)

_WORD = re.compile(r"\s*\S+")


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer as words (each but the first carries its leading space)."""

    words: tuple[str, ...]
    truncated: bool = False

    @property
    def text(self) -> str:
        return "".join(self.words)

    @property
    def tokens(self) -> int:
        return len(self.words)

    def chunks(self, count: int) -> list[str]:
        """Split into at most `count` pieces of nearly equal word counts."""
        n = len(self.words)
        k = min(max(count, 1), n)
        return ["".join(self.words[j * n // k : (j + 1) * n // k]) for j in range(k)]

    def limited(self, max_tokens: object) -> Reply:
        """Cut to `max_tokens` words, as a provider stops at its token limit."""
        if isinstance(max_tokens, int) and 0 <= max_tokens < len(self.words):
            return Reply(self.words[:max_tokens], truncated=True)
        return self


@lru_cache(maxsize=1024)
def sentence(words: int) -> Reply:
    """The deterministic reply of `words` words."""
    out = [VOCAB[i % len(VOCAB)] for i in range(words)]
    if out:
        out[0] = out[0].capitalize()
        out[-1] += "."
    return Reply(tuple(w if i == 0 else " " + w for i, w in enumerate(out)))


@lru_cache(maxsize=256)
def sentence_of_length(chars: int) -> Reply:
    """The shortest deterministic reply with at least `chars` characters."""
    # Each word adds its length and a space; the first has no space but the full stop evens it.
    words, length = 0, 0
    while length < chars:
        length += len(VOCAB[words % len(VOCAB)]) + 1
        words += 1
    return sentence(max(words, 1))


def echo(payload: dict[str, Any]) -> Reply:
    """A reply whose text is the JSON of `payload`."""
    return Reply(tuple(_WORD.findall(orjson.dumps(payload).decode())))


def answer(asked: Behaviour, echo_payload: dict[str, Any] | None, max_tokens: object) -> Reply:
    """The reply to a request: the echo when asked for one, else the sentence, cut to the limit."""
    if echo_payload is not None:
        return echo(echo_payload)
    return sentence(asked.reply_words).limited(max_tokens)


def body_bytes(asked: Behaviour, build: Callable[[Reply], Any], reply: Reply) -> bytes:
    """A non-streaming body; with `bytes=N` the reply is regrown until it is about N bytes."""
    if asked.pad_bytes is None:
        return orjson.dumps(build(reply))
    overhead = len(orjson.dumps(build(sentence(0))))
    return orjson.dumps(build(sentence_of_length(asked.pad_bytes - overhead)))


def prompt_tokens(texts: Iterable[str]) -> int:
    """Base prompt tokens for the texts a request sends."""
    return sum(len(t) for t in texts) // 4 + 1


def texts_of(content: object) -> list[str]:
    """The texts in a content, prompt or input: a string, or a list of strings or parts."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    texts = []
    for part in content:
        if isinstance(part, dict):
            part = part.get("text")
        if isinstance(part, str):
            texts.append(part)
    return texts


SCRIPTED_PREFIX = "reply: "


def scripted(content: object) -> Reply | None:
    """The reply a user message dictates ("reply: TEXT" answers TEXT), or None."""
    texts = texts_of(content)
    if len(texts) != 1 or not texts[0].startswith(SCRIPTED_PREFIX):
        return None
    return Reply(tuple(_WORD.findall(texts[0][len(SCRIPTED_PREFIX) :])))


def is_echo(content: object) -> bool:
    """Whether a user message asks for the echo reply."""
    return texts_of(content) == ["echo"]

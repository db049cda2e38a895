"""Token usage of one LLM call, normalised across providers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts with OpenAI semantics.

    `prompt_tokens` counts every input token, cached ones included (Anthropic's
    `input_tokens` excludes them, so its adapter adds them back); the cache and audio
    fields say how many of those were cache reads, cache writes or audio.
    `completion_tokens` includes `reasoning_tokens`.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    prompt_audio_tokens: int = 0
    completion_audio_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

"""Which wire format a proxied call speaks, from its provider and path."""

from __future__ import annotations

from heliograph.providers.anthropic import AnthropicFormat
from heliograph.providers.base import WireFormat
from heliograph.providers.openai import OpenAIFormat

OPENAI_FORMAT = OpenAIFormat()
ANTHROPIC_FORMAT = AnthropicFormat()


def wire_format(provider: str, path: str) -> WireFormat:
    if provider == "ANTHROPIC" or path.endswith("/messages"):
        return ANTHROPIC_FORMAT
    return OPENAI_FORMAT

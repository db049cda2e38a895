"""Which wire format a proxied call speaks, from its path and its provider's spec."""

from __future__ import annotations

from heliograph.provider_specs import BY_HELICONE_NAME, WireName
from heliograph.providers import bedrock, gemini
from heliograph.providers.anthropic import AnthropicFormat
from heliograph.providers.base import WireFormat
from heliograph.providers.bedrock import BEDROCK_FORMAT
from heliograph.providers.gemini import GEMINI_FORMAT
from heliograph.providers.openai import OpenAIFormat

OPENAI_FORMAT = OpenAIFormat()
ANTHROPIC_FORMAT = AnthropicFormat()
FORMATS: dict[WireName, WireFormat] = {
    "openai": OPENAI_FORMAT,
    "anthropic": ANTHROPIC_FORMAT,
    "gemini": GEMINI_FORMAT,
    "bedrock": BEDROCK_FORMAT,
}
# Path endings that only one format has: they decide even against the provider's own format
# (Google's and Anthropic's OpenAI-compatible endpoints answer in OpenAI's format), and they
# let the generic /gateway route read a call whose target no spec knows.
_FORMAT_OF_PATH: tuple[tuple[str, WireName], ...] = (
    ("/completions", "openai"),  # chat and legacy completions
    ("/embeddings", "openai"),
    ("/responses", "openai"),
    ("/messages", "anthropic"),
    (":generateContent", "gemini"),
    (":streamGenerateContent", "gemini"),
    ("/converse", "bedrock"),
    ("/converse-stream", "bedrock"),
)


def wire_format(provider: str, path: str) -> WireFormat:
    """The format of a call to `path` (no query) of `provider` (Helicone's name)."""
    for ending, name in _FORMAT_OF_PATH:
        if path.endswith(ending):
            return FORMATS[name]
    spec = BY_HELICONE_NAME.get(provider)
    return FORMATS[spec.wire] if spec is not None else OPENAI_FORMAT


def model_in_path(path: str) -> str | None:
    """The model a call's path names, for formats whose bodies do not (Gemini, Bedrock)."""
    return gemini.model_in_path(path) or bedrock.model_in_path(path)

"""Every provider Heliograph knows, one spec each: names, base URL, keys, auth, wire format.

The settings' default base URLs and key variables, the passthrough routes' provider names,
the unified gateway's providers and the choice of wire format for a logged call all derive
from this table. It is a leaf module (config.py imports it): adapters and wire formats are
named here and imported where they are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a provider's key goes upstream: `bearer` in `Authorization: Bearer KEY`; a header
# name: that header holds the key; `sigv4`: every call is signed with AWS credentials.
Auth = Literal["bearer", "api-key", "x-api-key", "x-goog-api-key", "sigv4"]
# The wire format in which a provider's answers are read for a log row (providers/registry.py).
WireName = Literal["openai", "anthropic", "gemini", "bedrock"]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str  # as configured (HELIOGRAPH_<NAME>_BASE_URL) and written in model strings
    helicone_name: str  # Helicone's provider name: stored in rows, the price catalog's name
    # The official API; None when every user has their own (an Azure resource). Bedrock's
    # holds `{region}`, filled from the settings.
    base_url: str | None
    key_env: tuple[str, ...] = ()  # conventional key variables, beside HELIOGRAPH_<NAME>_API_KEY
    auth: Auth = "bearer"
    # Where the unified gateway sends OpenAI-format chat calls (providers without an adapter);
    # Azure's names the deployment and the API version.
    chat_path: str = "/v1/chat/completions"
    wire: WireName = "openai"
    adapter: str | None = None  # "module:Class" of the chat adapter when not OpenAI's format
    aliases: tuple[str, ...] = ()  # other names model strings may use: "gemini" for google
    jawn_aliases: tuple[str, ...] = ()  # self-hosted Helicone's /v1/gateway/<alias>/ routes
    passthrough: bool = False  # a /<name>/ passthrough route without any configuration

    @property
    def needs_key(self) -> bool:
        """Whether calls need an API key (Bedrock's are signed with AWS credentials instead)."""
        return self.auth != "sigv4"


SPECS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        "openai",
        "OPENAI",
        "https://api.openai.com",
        ("OPENAI_API_KEY",),
        jawn_aliases=("oai",),
        passthrough=True,
    ),
    ProviderSpec(
        "anthropic",
        "ANTHROPIC",
        "https://api.anthropic.com",
        ("ANTHROPIC_API_KEY",),
        auth="x-api-key",
        wire="anthropic",
        adapter="heliograph.providers.anthropic_chat:AnthropicChatAdapter",
        aliases=("claude",),
        jawn_aliases=("anthropic",),
        passthrough=True,
    ),
    ProviderSpec(
        "google",
        "GOOGLE",
        "https://generativelanguage.googleapis.com",
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        auth="x-goog-api-key",
        wire="gemini",
        adapter="heliograph.providers.gemini_chat:GeminiChatAdapter",
        aliases=("gemini", "google-ai-studio"),  # the last: Helicone's registry's name
    ),
    ProviderSpec(
        "azure",
        "AZURE",
        None,  # the resource's URL: https://NAME.openai.azure.com
        ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
        auth="api-key",
        chat_path="/openai/deployments/{deployment}/chat/completions?api-version={api_version}",
    ),
    ProviderSpec(
        "bedrock",
        "BEDROCK",
        "https://bedrock-runtime.{region}.amazonaws.com",
        auth="sigv4",
        wire="bedrock",
        adapter="heliograph.providers.bedrock_chat:BedrockChatAdapter",
    ),
    ProviderSpec(
        "groq",
        "GROQ",
        "https://api.groq.com/openai",
        ("GROQ_API_KEY",),
    ),
    ProviderSpec(
        "deepseek",
        "DEEPSEEK",
        "https://api.deepseek.com",
        ("DEEPSEEK_API_KEY",),
        chat_path="/chat/completions",
    ),
    ProviderSpec(
        "xai",
        "X",
        "https://api.x.ai",
        ("XAI_API_KEY",),
        aliases=("x", "grok"),
    ),
    ProviderSpec(
        "mistral",
        "MISTRAL",
        "https://api.mistral.ai",
        ("MISTRAL_API_KEY",),
    ),
    ProviderSpec(
        "openrouter",
        "OPENROUTER",
        "https://openrouter.ai/api",
        ("OPENROUTER_API_KEY",),
    ),
    ProviderSpec(
        "together",
        "TOGETHER",
        "https://api.together.xyz",
        ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY"),
    ),
    ProviderSpec(
        "fireworks",
        "FIREWORKS",
        "https://api.fireworks.ai/inference",
        ("FIREWORKS_API_KEY",),
    ),
    ProviderSpec(
        "perplexity",
        "PERPLEXITY",
        "https://api.perplexity.ai",
        ("PERPLEXITY_API_KEY", "PERPLEXITYAI_API_KEY"),
        chat_path="/chat/completions",
    ),
)

PROVIDERS: dict[str, ProviderSpec] = {spec.name: spec for spec in SPECS}
BY_HELICONE_NAME: dict[str, ProviderSpec] = {spec.helicone_name: spec for spec in SPECS}
# Other names for a provider in model strings ("claude-3-5-sonnet/claude"), by alias.
ALIASES: dict[str, str] = {alias: spec.name for spec in SPECS for alias in spec.aliases}
# Self-hosted Helicone (Jawn) serves the same proxies under /v1/gateway/<alias>/...
JAWN_ALIASES: dict[str, str] = {alias: spec.name for spec in SPECS for alias in spec.jawn_aliases}


def default_base_urls() -> dict[str, str]:
    """The base URLs configured out of the box: each opens a /<name>/ passthrough route."""
    return {spec.name: spec.base_url for spec in SPECS if spec.passthrough and spec.base_url}


def canonical_name(name: str) -> str:
    """A provider's own name for `name` or one of its aliases (any case); others unchanged."""
    lowered = name.lower()
    return ALIASES.get(lowered, lowered)


def helicone_name(configured: str) -> str:
    """Helicone's provider name for a configured provider: its spec's, else upper-cased."""
    spec = PROVIDERS.get(configured)
    return spec.helicone_name if spec is not None else configured.upper()

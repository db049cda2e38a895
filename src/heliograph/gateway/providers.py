"""The providers the unified gateway can call, and how to reach each one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from heliograph.config import Settings
from heliograph.errors import InvalidRequestError
from heliograph.providers.chat import ChatAdapter

# A model string's segments end up in the upstream URL: a region in Bedrock's host name, an
# Azure deployment in the path. Anything beyond these characters could change the host
# (`bedrock/attacker.example?`) or the path, so it is refused.
_REGION = re.compile(r"[a-z0-9-]{1,64}")
_AZURE_DEPLOYMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


def checked_segment(pattern: re.Pattern[str], value: str, what: str) -> str:
    """`value` when it fully matches `pattern`; InvalidRequestError otherwise."""
    if not pattern.fullmatch(value):
        raise InvalidRequestError(f"Invalid {what} {value[:64]!r} in the model string")
    return value


@dataclass(frozen=True)
class GatewayProvider:
    name: str  # as written in model strings: "openai", "anthropic", ...
    helicone_name: str  # Helicone's provider name, stored in rows: "OPENAI", ...
    base_url: str
    chat_path: str = "/v1/chat/completions"  # OpenAI-compatible providers only
    adapter: ChatAdapter | None = None  # None: the provider speaks OpenAI's format
    api_key: str | None = None
    needs_key: bool = True
    azure_api_version: str | None = None  # set for Azure OpenAI: deployment URLs, api-key
    region: str | None = None  # for providers addressed by region (Bedrock)

    @property
    def configured(self) -> bool:
        return self.api_key is not None or not self.needs_key

    def url(self, endpoint_suffix: str, model: str, deployment: str | None) -> str:
        """Where an OpenAI-format call for `model` goes (`endpoint_suffix`: "/chat/completions")."""
        if self.azure_api_version is not None:
            name = checked_segment(_AZURE_DEPLOYMENT, deployment or model, "Azure deployment")
            return (
                f"{self.base_url}/openai/deployments/{name}{endpoint_suffix}"
                f"?api-version={self.azure_api_version}"
            )
        return self.base_url + self.chat_path.replace("/chat/completions", endpoint_suffix)

    def base_for(self, deployment: str | None) -> str:
        """The base URL, in the deployment's region for providers addressed by region."""
        if self.region and deployment:
            region = checked_segment(_REGION, deployment, "region")
            return self.base_url.replace(f".{self.region}.", f".{region}.")
        return self.base_url

    def auth_headers(self) -> dict[str, str]:
        if not self.api_key:
            return {}
        if self.azure_api_version is not None:
            return {"api-key": self.api_key}
        return {"authorization": f"Bearer {self.api_key}"}


# name -> (Helicone name, default base URL, chat path)
_OPENAI_COMPATIBLE = {
    "openai": ("OPENAI", "https://api.openai.com", "/v1/chat/completions"),
    "groq": ("GROQ", "https://api.groq.com/openai", "/v1/chat/completions"),
    "deepseek": ("DEEPSEEK", "https://api.deepseek.com", "/chat/completions"),
    "xai": ("X", "https://api.x.ai", "/v1/chat/completions"),
    "mistral": ("MISTRAL", "https://api.mistral.ai", "/v1/chat/completions"),
    "openrouter": ("OPENROUTER", "https://openrouter.ai/api", "/v1/chat/completions"),
    "together": ("TOGETHER", "https://api.together.xyz", "/v1/chat/completions"),
    "fireworks": ("FIREWORKS", "https://api.fireworks.ai/inference", "/v1/chat/completions"),
    "perplexity": ("PERPLEXITY", "https://api.perplexity.ai", "/chat/completions"),
}
_ADAPTED = {
    "anthropic": ("ANTHROPIC", "https://api.anthropic.com"),
    "google": ("GOOGLE", "https://generativelanguage.googleapis.com"),
}
PROVIDER_ALIASES = {"gemini": "google", "x": "xai", "grok": "xai", "claude": "anthropic"}


def _adapter(name: str) -> ChatAdapter:
    if name == "bedrock":
        from heliograph.providers.bedrock_chat import BedrockChatAdapter

        return BedrockChatAdapter()
    if name == "anthropic":
        from heliograph.providers.anthropic_chat import AnthropicChatAdapter

        return AnthropicChatAdapter()
    from heliograph.providers.gemini_chat import GeminiChatAdapter

    return GeminiChatAdapter()


def gateway_providers(settings: Settings) -> dict[str, GatewayProvider]:
    """Every provider the gateway knows, with the base URLs and keys from the settings."""
    bases: Mapping[str, str] = settings.provider_base_urls
    keys: Mapping[str, str] = settings.provider_api_keys
    providers: dict[str, GatewayProvider] = {}
    for name, (helicone, base, path) in _OPENAI_COMPATIBLE.items():
        providers[name] = GatewayProvider(
            name, helicone, bases.get(name, base).rstrip("/"), path, api_key=keys.get(name)
        )
    for name, (helicone, base) in _ADAPTED.items():
        providers[name] = GatewayProvider(
            name,
            helicone,
            bases.get(name, base).rstrip("/"),
            adapter=_adapter(name),
            api_key=keys.get(name),
        )
    if "azure" in bases:  # Azure OpenAI needs the resource's URL: https://NAME.openai.azure.com
        providers["azure"] = GatewayProvider(
            "azure",
            "AZURE",
            bases["azure"].rstrip("/"),
            api_key=keys.get("azure"),
            azure_api_version=settings.azure_api_version,
        )
    # Bedrock signs with AWS credentials (botocore's chain), not a key; a deployment segment
    # (`model/bedrock/us-west-2`) picks another region.
    region = settings.aws_region
    providers["bedrock"] = GatewayProvider(
        "bedrock",
        "BEDROCK",
        bases.get("bedrock", f"https://bedrock-runtime.{region}.amazonaws.com").rstrip("/"),
        adapter=_adapter("bedrock"),
        needs_key=False,
        region=region,
    )
    # Any other configured base URL is an OpenAI-compatible server (Ollama, vLLM, llama.cpp).
    for name, base in bases.items():
        if name not in providers and name != "bedrock":
            providers[name] = GatewayProvider(
                name, name.upper(), base.rstrip("/"), api_key=keys.get(name), needs_key=False
            )
    return providers

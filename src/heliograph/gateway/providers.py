"""The providers the unified gateway can call, and how to reach each one (from their specs)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from heliograph.config import Settings
from heliograph.errors import InvalidRequestError
from heliograph.provider_specs import PROVIDERS, SPECS, Auth, ProviderSpec
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
    auth: Auth = "bearer"
    api_version: str = ""  # Azure OpenAI's, for chat paths that name a deployment
    region: str | None = None  # for providers addressed by region (Bedrock)

    @property
    def configured(self) -> bool:
        return self.api_key is not None or not self.needs_key

    def url(self, endpoint_suffix: str, model: str, deployment: str | None) -> str:
        """Where an OpenAI-format call for `model` goes (`endpoint_suffix`: "/chat/completions")."""
        path = self.chat_path.replace("/chat/completions", endpoint_suffix)
        if "{deployment}" in path:  # Azure OpenAI: the deployment stands for the model
            name = checked_segment(_AZURE_DEPLOYMENT, deployment or model, "Azure deployment")
            path = path.format(deployment=name, api_version=self.api_version)
        return self.base_url + path

    def base_for(self, deployment: str | None) -> str:
        """The base URL, in the deployment's region for providers addressed by region."""
        if self.region and deployment:
            region = checked_segment(_REGION, deployment, "region")
            return self.base_url.replace(f".{self.region}.", f".{region}.")
        return self.base_url

    def auth_headers(self) -> dict[str, str]:
        if not self.api_key or self.auth == "sigv4":
            return {}
        if self.auth == "bearer":
            return {"authorization": f"Bearer {self.api_key}"}
        return {self.auth: self.api_key}


def load_adapter(path: str) -> ChatAdapter:
    """The chat adapter a spec names ("module:Class"), imported only when it is used."""
    module, _, name = path.partition(":")
    adapter: ChatAdapter = getattr(importlib.import_module(module), name)()
    return adapter


def gateway_providers(settings: Settings) -> dict[str, GatewayProvider]:
    """Every provider the gateway knows, with the base URLs and keys from the settings."""
    bases: Mapping[str, str] = settings.provider_base_urls
    keys: Mapping[str, str] = settings.provider_api_keys
    providers: dict[str, GatewayProvider] = {}
    for spec in SPECS:
        provider = _from_spec(spec, settings, bases.get(spec.name), keys.get(spec.name))
        if provider is not None:
            providers[spec.name] = provider
    # Any other configured base URL is an OpenAI-compatible server (Ollama, vLLM, llama.cpp).
    for name, base in bases.items():
        if name not in PROVIDERS:
            providers[name] = GatewayProvider(
                name, name.upper(), base.rstrip("/"), api_key=keys.get(name), needs_key=False
            )
    return providers


def _from_spec(
    spec: ProviderSpec, settings: Settings, base: str | None, key: str | None
) -> GatewayProvider | None:
    """A known provider, or None when it has no default base URL and none is configured."""
    region = settings.aws_region if "{region}" in (spec.base_url or "") else None
    if base is None and spec.base_url is not None:
        # Bedrock signs with AWS credentials (botocore's chain); a deployment segment
        # (`model/bedrock/us-west-2`) picks another region than the settings' one.
        base = spec.base_url.replace("{region}", region or "")
    if base is None:
        return None  # Azure OpenAI needs the resource's URL: https://NAME.openai.azure.com
    return GatewayProvider(
        spec.name,
        spec.helicone_name,
        base.rstrip("/"),
        spec.chat_path,
        adapter=load_adapter(spec.adapter) if spec.adapter else None,
        api_key=key if spec.needs_key else None,
        needs_key=spec.needs_key,
        auth=spec.auth,
        api_version=settings.azure_api_version,
        region=region,
    )

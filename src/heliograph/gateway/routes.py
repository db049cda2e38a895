"""Which paths are proxied, and where to: the passthrough routing table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Helicone's provider names for the providers we have a dedicated passthrough route for.
PROVIDER_NAMES = {
    "openai": "OPENAI",
    "anthropic": "ANTHROPIC",
    "azure": "AZURE",
    "google": "GOOGLE",
}
GATEWAY_PREFIX = "gateway"  # generic: the upstream comes from Helicone-Target-Url
# Self-hosted Helicone (Jawn) serves the same proxies under /v1/gateway/<name>/...
JAWN_ALIASES = {"oai": "openai", "anthropic": "anthropic"}


@dataclass(frozen=True, slots=True)
class ProxyRoute:
    provider: str  # Helicone's upper-case provider name; "" = decide from the target URL
    base_url: str | None  # None: taken from Helicone-Target-Url
    upstream_path: str


class RouteTable:
    def __init__(self, base_urls: Mapping[str, str]) -> None:
        self._bases = {name: url.rstrip("/") for name, url in base_urls.items()}

    def match(self, path: str) -> ProxyRoute | None:
        """The proxy route of a request path, or None when the path is not proxied."""
        head, _, tail = path[1:].partition("/")
        if head == GATEWAY_PREFIX:
            return ProxyRoute("", None, "/" + tail)
        if head in self._bases:
            return ProxyRoute(_provider_name(head), self._bases[head], "/" + tail)
        if head == "v1" and tail.startswith("gateway/"):
            alias, _, rest = tail[len("gateway/") :].partition("/")
            name = JAWN_ALIASES.get(alias, "")
            if name in self._bases:
                return ProxyRoute(_provider_name(name), self._bases[name], "/" + rest)
        return None


def _provider_name(configured: str) -> str:
    return PROVIDER_NAMES.get(configured, configured.upper())

"""Which paths are proxied, and where to: the passthrough routing table.

Every configured base URL opens a /<name>/ route; known providers are logged under their
spec's Helicone name (provider_specs.py), any other name upper-cased.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from heliograph.errors import InvalidRequestError
from heliograph.provider_specs import JAWN_ALIASES, helicone_name

GATEWAY_PREFIX = "gateway"  # generic: the upstream comes from Helicone-Target-Url
PROXY_ROUTE = "heliograph.proxy_route"  # the scope key of a passthrough call's ProxyRoute


@dataclass(frozen=True, slots=True)
class ProxyRoute:
    provider: str  # Helicone's upper-case provider name; "" = decide from the target URL
    base_url: str | None  # None: taken from Helicone-Target-Url
    upstream_path: str
    prefix: str = ""  # the part of the path naming the route: "/openai", "/v1/gateway/oai"


class RouteTable:
    def __init__(self, base_urls: Mapping[str, str]) -> None:
        self._bases = {name: url.rstrip("/") for name, url in base_urls.items()}

    def match(self, path: str) -> ProxyRoute | None:
        """The proxy route of a request path, or None when the path is not proxied."""
        head, _, tail = path[1:].partition("/")
        if head == GATEWAY_PREFIX:
            return ProxyRoute("", None, "/" + tail, "/" + head)
        if head in self._bases:
            return ProxyRoute(helicone_name(head), self._bases[head], "/" + tail, "/" + head)
        if head == "v1" and tail.startswith("gateway/"):
            alias, _, rest = tail[len("gateway/") :].partition("/")
            name = JAWN_ALIASES.get(alias, "")
            if name in self._bases:
                prefix = f"/v1/gateway/{alias}"
                return ProxyRoute(helicone_name(name), self._bases[name], "/" + rest, prefix)
        return None


def upstream_target(route: ProxyRoute, scope: MutableMapping[str, Any]) -> str:
    """The path and query to send upstream: the request's raw path exactly as received, the
    route's prefix cut off. Never rebuilt from the decoded path, where `%3F` would become a
    query and `%2F..` a step up the upstream's tree."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = raw.decode("latin-1")
    rest = path[len(route.prefix) :]
    if not path.startswith(route.prefix) or (rest and not rest.startswith("/")):
        raise InvalidRequestError("The route's own path segments must not be percent-encoded")
    query: bytes = scope.get("query_string", b"")
    return (rest or "/") + ("?" + query.decode("latin-1") if query else "")

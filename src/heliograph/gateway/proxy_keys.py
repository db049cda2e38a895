"""A passthrough call made with one of Helicone's proxy keys: sent with the provider key the
proxy key stands for, and only to that provider's own upstream (the route's base URL), so
that a proxy key's holder can never have the provider key sent anywhere else."""

from __future__ import annotations

from heliograph.errors import ForbiddenError
from heliograph.gateway.fallbacks import Fallback
from heliograph.gateway.routes import ProxyRoute
from heliograph.helicone_headers import HeliconeHeaders
from heliograph.meta.keys import UpstreamKey
from heliograph.provider_specs import PROVIDERS

# Where a client may have put a provider key; none of them goes upstream with a proxy key's.
KEY_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "x-goog-api-key"})


def use_proxy_key(
    route: ProxyRoute, fallbacks: list[Fallback], headers: HeliconeHeaders, upstream: UpstreamKey
) -> None:
    """Put the provider key in the forwarded headers, as its provider takes it; ForbiddenError
    when the route is another provider's or the call names another upstream."""
    spec = PROVIDERS.get(upstream.provider)
    if spec is None or not spec.needs_key or route.provider != spec.helicone_name:
        raise ForbiddenError(
            f"This proxy key stands for a {upstream.provider} key: "
            f"use it on the /{upstream.provider} routes"
        )
    if len(fallbacks) != 1 or fallbacks[0].base_url != route.base_url:
        raise ForbiddenError(
            "A proxy key's calls go to its provider's own URL: Helicone-Fallbacks, "
            "Helicone-Target-Url and Helicone-OpenAI-Api-Base cannot be used with one"
        )
    kept = [(name, value) for name, value in headers.forward if name.lower() not in KEY_HEADERS]
    if spec.auth == "bearer":
        kept.append(("authorization", f"Bearer {upstream.key}"))
    else:
        kept.append((spec.auth, upstream.key))
    headers.forward[:] = kept

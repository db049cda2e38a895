"""Helicone-* headers of a log that did not come through the proxy, from several sources.

An async log has two: `providerRequest.meta` and the HTTP headers. Helicone's worker puts
the meta in one header set and then the request's headers, so an HTTP header wins over a
meta entry of the same (case-insensitive) name. The manual loggers send Helicone-* as
HTTP headers; LiteLLM's callback puts them in the meta. OTLP spans carry them as
`traceloop.association.properties.Helicone-*` attributes, which win over HTTP headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from heliograph.helicone_headers import (
    PROPERTY_PREFIX,
    RAW_PROPERTY_NAMES,
    HeliconeHeaders,
    parse_headers,
)

Header = tuple[bytes, bytes]  # (name as sent, value)


def mapping_headers(mapping: Mapping[str, str]) -> list[Header]:
    return [
        (name.strip().encode("utf-8", "replace"), value.encode("utf-8", "replace"))
        for name, value in mapping.items()
    ]


def http_headers(scope: Mapping[str, Any]) -> list[Header]:
    """The request's headers, property names in their sent casing where the server kept it."""
    raw_names = scope.get(RAW_PROPERTY_NAMES)
    raw_iter = iter(raw_names) if isinstance(raw_names, list) else None
    headers = []
    for name, value in scope["headers"]:
        if raw_iter is not None and name.startswith(PROPERTY_PREFIX):
            name = next(raw_iter, name)
        headers.append((name, value))
    return headers


def layered_headers(*layers: Iterable[Header]) -> HeliconeHeaders:
    """Parse the layers as one header set; a later layer's header replaces an earlier one's."""
    merged: dict[bytes, Header] = {}
    for layer in layers:
        for sent, value in layer:
            merged[sent.lower()] = (sent, value)
    headers = [(lower, value) for lower, (_, value) in merged.items()]
    raw_names = [sent for lower, (sent, _) in merged.items() if lower.startswith(PROPERTY_PREFIX)]
    return parse_headers({"headers": headers, RAW_PROPERTY_NAMES: raw_names})

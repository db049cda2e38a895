"""uvicorn's httptools protocol, keeping the sent casing of Helicone-Property-* names.

ASGI lower-cases header names, but Helicone stores a custom property under its name as
sent (`Helicone-Property-Environment` -> `Environment`). Names of property headers are
kept, in order, in the scope under RAW_PROPERTY_NAMES; parse_headers pairs them up.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from heliograph.gateway.headers import PROPERTY_PREFIX, RAW_PROPERTY_NAMES

_PREFIX_LEN = len(PROPERTY_PREFIX)


class CasePreservingProtocol(HttpToolsProtocol):
    def on_header(self, name: bytes, value: bytes) -> None:
        if name[:_PREFIX_LEN].lower() == PROPERTY_PREFIX:
            scope: dict[str, list[bytes]] = self.scope  # type: ignore[assignment]
            scope.setdefault(RAW_PROPERTY_NAMES, []).append(name)
        super().on_header(name, value)

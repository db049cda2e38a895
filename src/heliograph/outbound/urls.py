"""The static checks of an outbound URL: scheme, host, port, no credentials, no controls."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from heliograph.errors import InvalidRequestError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundUrlError(InvalidRequestError, ValueError):
    """A URL the server will not call, whatever it resolves to; the message says why."""


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: str
    host: str  # lower-cased, IPv6 literals without brackets
    port: int


def destination(url: str) -> Destination:
    """Where `url` points; raises OutboundUrlError for anything but a plain http(s) URL.

    Credentials (`user:password@`) are refused rather than sent: they would be stored in
    logged rows and echoed in errors, and `@` is how a host is hidden from a reader.
    """
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise OutboundUrlError("the URL holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundUrlError("the URL cannot be parsed (bad host or port)") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise OutboundUrlError("the URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise OutboundUrlError("credentials (user:password@) are not allowed in the URL")
    if not parts.hostname:
        raise OutboundUrlError("the URL has no host")
    return Destination(scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme])

"""Which headers from a caller's header maps may go upstream.

Framing and hop-by-hop headers are the client's own to write (one Host, one
Content-Length, no Transfer-Encoding): taken from a caller, a second Content-Length or a
Transfer-Encoding next to one lets an upstream read two requests where one was sent, and
the second one's answer would go to whoever used the pooled connection next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from heliograph.errors import InvalidRequestError

FRAMING_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "expect",
        "host",
        "keep-alive",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
_FORBIDDEN_CHARS = ("\r", "\n", "\0")


class HeaderError(InvalidRequestError, ValueError):
    """A header name or value that cannot be sent as it is; the message says which."""


def is_framing(name: str) -> bool:
    """Whether only the HTTP client itself may set header `name` (any case)."""
    lowered = name.lower()
    return lowered in FRAMING_HEADERS or lowered.startswith("proxy-")


def check_header(name: str, value: str) -> None:
    """Raise HeaderError for a name or value holding CR, LF or NUL, or an empty name."""
    if not name or any(c in name or c in value for c in _FORBIDDEN_CHARS) or ":" in name:
        raise HeaderError(f"header {name[:40]!r} has an empty name or holds CR, LF, NUL or ':'")


def caller_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a caller-supplied map that may be sent: framing ones dropped, the
    rest checked (HeaderError for line breaks)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    kept = []
    for name, value in pairs:
        check_header(name, value)
        if not is_framing(name):
            kept.append((name, value))
    return kept

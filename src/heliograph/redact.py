"""Keeping secrets out of stored rows and messages."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
# Query parameters that carry credentials (Gemini's ?key=, signed URLs, OAuth tokens).
SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "api-key", "access_token", "token", "sig", "signature", "code"}
)


def redact_url(url: str) -> str:
    """The URL with the values of credential-bearing query parameters replaced."""
    if "?" not in url:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMS for name, _ in pairs):
        return url
    query = urlencode(
        [(name, REDACTED if name.lower() in SECRET_PARAMS else value) for name, value in pairs],
        safe="[]",
    )
    return urlunsplit(parts._replace(query=query))

"""Keeping secrets out of stored rows and messages."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
# Query parameters that carry credentials (Gemini's ?key=, signed URLs, OAuth tokens).
SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "api-key", "access_token", "token", "sig", "signature", "code"}
)


def without_credentials(url: str) -> str:
    """`url` with any `user:password@` before its host cut out."""
    if "@" not in url:  # nearly every URL: called twice for each logged call
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    return url if at < 0 else f"{scheme}://{rest[at + 1 :]}"


def redact_url(url: str) -> str:
    """The URL without credentials, and with the values of credential-bearing query
    parameters replaced."""
    url = without_credentials(url)
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

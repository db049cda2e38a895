"""What goes upstream: the origin a URL names, and the head of an HTTP/1.1 request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heliograph.outbound.headers import is_framing

# What http_response decodes; the Accept-Encoding sent upstream is cut down to these.
DECODED_ENCODINGS = ("gzip", "deflate")


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int
    host_header: str

    @classmethod
    def parse(cls, origin: str) -> Origin:
        """`scheme://host[:port]` with no path; raises ValueError when it is not one."""
        scheme, sep, authority = origin.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in ("http", "https") or not authority or "@" in authority:
            raise ValueError(f"not an http(s) origin: {origin!r}")
        default = 443 if scheme == "https" else 80
        if authority.startswith("["):  # an IPv6 literal
            host, _, rest = authority[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else ""
            if rest and not rest.startswith(":"):
                raise ValueError(f"not an http(s) origin: {origin!r}")
        else:
            host, _, port_text = authority.partition(":")
        try:
            port = int(port_text) if port_text else default
        except ValueError:
            raise ValueError(f"bad port in {origin!r}") from None
        if not host or not 0 < port < 65536:
            raise ValueError(f"not an http(s) origin: {origin!r}")
        if port_text and port == default:  # as clients send it, and request signers expect
            authority = authority[: -len(port_text) - 1]
        return cls(scheme, host, port, authority)


def split_url(url: str) -> tuple[str, str]:
    """(origin, path with query) of an absolute http(s) URL."""
    start = url.find("://")
    if start < 0:
        raise ValueError(f"not an absolute URL: {url!r}")
    slash = url.find("/", start + 3)
    query = url.find("?", start + 3)
    cut = min(i for i in (slash, query, len(url)) if i >= 0)
    origin, rest = url[:cut], url[cut:].split("#", 1)[0]
    if not rest.startswith("/"):
        rest = "/" + rest
    return origin, rest


def accepted_encodings(value: str) -> str | None:
    """What of a client's Accept-Encoding this client can decode, or None for nothing."""
    kept = [
        part.strip()
        for part in value.split(",")
        if part.split(";", 1)[0].strip().lower() in (*DECODED_ENCODINGS, "identity")
    ]
    return ", ".join(kept) if kept else None


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def request_head(
    method: str, target: str, host: str, headers: Iterable[tuple[str, str]], body: bytes
) -> bytes:
    """The request line and headers; the framing headers are this client's alone (one Host,
    one Content-Length), whatever `headers` holds."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers:
        if is_framing(name):
            continue
        if name.lower() == "accept-encoding":
            value = accepted_encodings(value)  # type: ignore[assignment]
            if value is None:
                continue
        lines.append(f"{name}: {value}")
    if body or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body)}")
    text = "\r\n".join(lines)
    if not text.count("\r") == text.count("\n") == len(lines) - 1:
        raise ValueError("a header name or value holds a line break")
    if not method.isalpha() or " " in target:
        raise ValueError(f"cannot send {method} {target!r}")
    return (text + "\r\n\r\n").encode("latin-1")

"""The headers a relayed answer keeps from the upstream's: not its framing or encoding."""

from __future__ import annotations

from heliograph.httpclient.response import UpstreamResponse

RESPONSE_SKIP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"content-length",
        b"content-encoding",  # the body is relayed decompressed
        b"proxy-authenticate",
        b"trailer",
        b"upgrade",
    }
)


def response_headers(
    response: UpstreamResponse, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    headers = [
        (name.lower(), value)
        for name, value in response.raw_headers
        if name.lower() not in RESPONSE_SKIP
    ]
    headers.extend(extra)
    return headers

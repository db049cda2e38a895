"""Signed, expiring URLs for version bodies: what a version's `s3_url` points at.

Helicone hands out pre-signed S3 URLs, fetched without credentials (its Python client does
exactly that). Heliograph signs its own: HMAC-SHA256 over (organization, version, expiry)
with a key derived from the server's secret, so a URL opens one version's body of one
organization until it expires, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode

URL_LIFETIME_S = 3600
BODY_PATH = "/v1/prompt-bodies/{version_id}"
# Keeps this key apart from anything else derived from the same secret.
_PURPOSE = b"heliograph prompt body url v1"


@dataclass(frozen=True)
class SignedGrant:
    """What a body URL carries besides the version id."""

    expires: int
    signature: str


class BodyUrlSigner:
    def __init__(self, secret: bytes, lifetime_s: int = URL_LIFETIME_S) -> None:
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self._lifetime_s = lifetime_s

    def _signature(self, organization_id: str, version_id: str, expires: int) -> str:
        message = f"{organization_id}\n{version_id}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, organization_id: str, version_id: str) -> str:
        """An absolute URL under `base_url` that serves the body until it expires."""
        expires = int(time.time()) + self._lifetime_s
        query = urlencode(
            {"expires": expires, "signature": self._signature(organization_id, version_id, expires)}
        )
        path = BODY_PATH.format(version_id=version_id)
        return f"{base_url.rstrip('/')}{path}?{query}"

    def valid(self, organization_id: str, version_id: str, grant: SignedGrant) -> bool:
        """True for an unexpired grant signed for exactly this organization and version."""
        if grant.expires < time.time():
            return False
        expected = self._signature(organization_id, version_id, grant.expires)
        return hmac.compare_digest(expected, grant.signature)

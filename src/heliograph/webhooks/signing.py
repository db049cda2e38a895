"""Webhook secrets and the `Helicone-Signature` header.

As Helicone does: the secret is 32 random bytes written as 64 hex characters, and the
signature is the hex HMAC-SHA256 of the raw request body, keyed with the secret's text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Helicone-Signature"


def generate_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature.strip().lower())


def preview(secret: str) -> str:
    """Enough of the secret to tell two apart, too little to use."""
    return secret[:4] + "..." + secret[-4:]

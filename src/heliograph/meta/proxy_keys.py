"""Helicone's proxy keys: a key that stands for one of the organization's provider keys, so
that a client of a passthrough route never holds the provider's key itself.

A proxy key is stored as its SHA-256 (a long random secret, like an API key) and shown once.
On the request path it resolves to the organization, with write permission only, and to the
decrypted provider key it stands for; a key whose provider key is inactive or gone resolves
to nothing.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.meta.keys import WRITE_ONLY, Principal, UpstreamKey, hash_key
from heliograph.meta.models import ProviderKey, ProxyKey
from heliograph.meta.stale_cache import RETRY_S, StaleIfDownCache
from heliograph.throttled_log import ThrottledLog

PROXY_KEY_PREFIX = "sk-helicone-proxy-"
PROXY_KEY_CACHE_S = 30.0  # as provider keys: a rotated provider key reaches it this late
UNKNOWN_PROXY_KEY_CACHE_S = 2.0
MAX_PROXY_KEYS = 1000  # per organization: what one listing answers at most


@dataclass(frozen=True)
class ProxyKeyInfo:
    id: str
    name: str
    preview: str
    provider_key_id: str
    provider: str
    created_at: datetime


@dataclass(frozen=True)
class NewProxyKey:
    key: str  # the only time the plain key exists
    info: ProxyKeyInfo


def generate_proxy_key(key_id: str) -> str:
    """Helicone's form: the prefix, random groups, and the key's own id at the end."""
    groups = [secrets.token_hex(4) for _ in range(4)]
    return PROXY_KEY_PREFIX + "-".join(groups) + "-" + key_id


def _preview(key: str) -> str:
    return key[: len(PROXY_KEY_PREFIX) + 4] + "..." + key[-4:]


class ProxyKeyStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        fernet: Fernet,
        *,
        cache_s: float = PROXY_KEY_CACHE_S,
        retry_s: float = RETRY_S,
        warnings: ThrottledLog | None = None,
    ) -> None:
        self._sessions = sessions
        self._fernet = fernet
        self._cache: StaleIfDownCache[str, Principal | None] = StaleIfDownCache(
            self.lookup,
            "proxy keys",
            lambda principal: cache_s if principal else UNKNOWN_PROXY_KEY_CACHE_S,
            retry_s,
            warnings,
        )

    def create(self, organization_id: str, provider_key_id: str, name: str) -> NewProxyKey | None:
        """A new proxy key for one of the organization's provider keys (None: it has no such
        provider key)."""
        with self._sessions.begin() as session:
            provider_key = session.get(ProviderKey, provider_key_id)
            if provider_key is None or provider_key.organization_id != organization_id:
                return None
            count = session.scalar(
                select(func.count())
                .select_from(ProxyKey)
                .where(ProxyKey.organization_id == organization_id)
            )
            if (count or 0) >= MAX_PROXY_KEYS:
                raise InvalidRequestError(
                    f"An organization has at most {MAX_PROXY_KEYS} proxy keys: delete one first"
                )
            key_id = str(uuid.uuid4())
            key = generate_proxy_key(key_id)
            record = ProxyKey(
                id=key_id,
                organization_id=organization_id,
                provider_key_id=provider_key_id,
                name=name,
                key_hash=hash_key(key),
                key_preview=_preview(key),
            )
            session.add(record)
            session.flush()
            info = ProxyKeyInfo(
                key_id,
                name,
                record.key_preview,
                provider_key_id,
                provider_key.provider,
                record.created_at,
            )
        return NewProxyKey(key, info)

    def list_keys(self, organization_id: str) -> list[ProxyKeyInfo]:
        """The organization's proxy keys, newest first (previews only)."""
        with self._sessions() as session:
            rows = session.execute(
                select(ProxyKey, ProviderKey.provider)
                .join(ProviderKey, ProviderKey.id == ProxyKey.provider_key_id)
                .where(ProxyKey.organization_id == organization_id)
                .order_by(ProxyKey.created_at.desc())
            ).all()
            return [
                ProxyKeyInfo(
                    key.id,
                    key.name,
                    key.key_preview,
                    key.provider_key_id,
                    provider,
                    key.created_at,
                )
                for key, provider in rows
            ]

    def delete(self, organization_id: str, key_id: str) -> bool:
        """Delete a proxy key; it stops working at once in this process."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(ProxyKey).where(
                    ProxyKey.organization_id == organization_id, ProxyKey.id == key_id
                )
            )
        self._cache.forget_where(
            lambda principal: principal is not None and principal.key_id == key_id
        )
        return bool(getattr(result, "rowcount", 0))

    def lookup(self, key: str) -> Principal | None:
        """The organization (write permission only) and the provider key a proxy key stands
        for; None for an unknown key, or one whose provider key is inactive or unreadable."""
        with self._sessions() as session:
            row = session.execute(
                select(ProxyKey, ProviderKey)
                .join(ProviderKey, ProviderKey.id == ProxyKey.provider_key_id)
                .where(ProxyKey.key_hash == hash_key(key), ProviderKey.active)
            ).first()
            if row is None:
                return None
            proxy, provider_key = row
            try:
                secret = self._fernet.decrypt(provider_key.encrypted_key).decode()
            except InvalidToken:  # stored under another secret key: unusable
                return None
            upstream = UpstreamKey(provider_key.provider, secret)
            return Principal(proxy.organization_id, proxy.id, WRITE_ONLY, upstream)

    async def resolve(self, key: str | None) -> Principal | None:
        """Cached lookup for the request path (as API keys'); only keys of the proxy form
        are looked up."""
        if not key or not key.startswith(PROXY_KEY_PREFIX):
            return None
        return await self._cache.get(key)

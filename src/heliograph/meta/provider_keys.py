"""Organizations' own provider keys: stored encrypted (Fernet), shown only as previews.

The encryption key comes from HELIOGRAPH_SECRET_KEY (share it between gateway processes
that use one PostgreSQL) or, embedded, from `secret.key` created in the data dir.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError
from heliograph.meta.models import ProviderKey
from heliograph.meta.stale_cache import RETRY_S, StaleIfDownCache
from heliograph.throttled_log import ThrottledLog

PROVIDER_KEY_CACHE_S = 30.0
MAX_PROVIDER_KEYS = 200  # per organization: what one listing answers at most


@dataclass(frozen=True)
class ProviderKeyInfo:
    id: str
    provider: str
    name: str
    preview: str
    created_at: datetime
    active: bool = True


def _info(row: ProviderKey) -> ProviderKeyInfo:
    return ProviderKeyInfo(
        row.id, row.provider, row.name, row.key_preview, row.created_at, row.active
    )


def load_secret(secret_key: str, data_dir: Path) -> bytes:
    """The server's secret (a Fernet key): the setting, or the data dir's key file, created
    on first use. Stored keys are encrypted with it; other keys are derived from it."""
    if secret_key:
        return secret_key.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def load_fernet(secret_key: str, data_dir: Path) -> Fernet:
    """The cipher for stored keys."""
    return Fernet(load_secret(secret_key, data_dir))


def _preview(key: str) -> str:
    return key[:4] + "..." + key[-4:] if len(key) > 12 else "..." + key[-2:]


class ProviderKeyStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        fernet: Fernet,
        *,
        cache_s: float = PROVIDER_KEY_CACHE_S,
        retry_s: float = RETRY_S,
        warnings: ThrottledLog | None = None,
    ) -> None:
        self._sessions = sessions
        self._fernet = fernet
        self._cache: StaleIfDownCache[str, dict[str, str]] = StaleIfDownCache(
            self._decrypted, "provider keys", lambda _: cache_s, retry_s, warnings
        )

    def add(self, organization_id: str, provider: str, key: str, name: str) -> ProviderKeyInfo:
        with self._sessions() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(ProviderKey)
                .where(ProviderKey.organization_id == organization_id)
            )
        if (stored or 0) >= MAX_PROVIDER_KEYS:
            raise InvalidRequestError(
                f"An organization has at most {MAX_PROVIDER_KEYS} provider keys: delete one first"
            )
        record = ProviderKey(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            provider=provider,
            name=name,
            encrypted_key=self._fernet.encrypt(key.encode()).decode(),
            key_preview=_preview(key),
        )
        with self._sessions.begin() as session:
            session.add(record)
        self._cache.forget(organization_id)
        return _info(record)

    def list_keys(self, organization_id: str) -> list[ProviderKeyInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(ProviderKey)
                .where(ProviderKey.organization_id == organization_id)
                .order_by(ProviderKey.created_at)
            ).all()
            return [_info(row) for row in rows]

    def get(self, organization_id: str, key_id: str) -> ProviderKeyInfo | None:
        """One of the organization's keys (preview only); None for another's or none."""
        with self._sessions() as session:
            row = session.get(ProviderKey, key_id)
            if row is None or row.organization_id != organization_id:
                return None
            return _info(row)

    def update(
        self,
        organization_id: str,
        key_id: str,
        *,
        key: str | None = None,
        name: str | None = None,
        active: bool | None = None,
    ) -> ProviderKeyInfo | None:
        """Replace a key's secret, rename it, or (de)activate it; None when the organization
        has no such key. The gateway sees the change at once in this process."""
        with self._sessions.begin() as session:
            row = session.get(ProviderKey, key_id)
            if row is None or row.organization_id != organization_id:
                return None
            if key is not None:
                row.encrypted_key = self._fernet.encrypt(key.encode()).decode()
                row.key_preview = _preview(key)
            if name is not None:
                row.name = name
            if active is not None:
                row.active = active
            info = _info(row)
        self._cache.forget(organization_id)
        return info

    def delete(self, organization_id: str, key_id: str) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(
                delete(ProviderKey).where(
                    ProviderKey.organization_id == organization_id, ProviderKey.id == key_id
                )
            )
        self._cache.forget(organization_id)
        return bool(getattr(result, "rowcount", 0))

    def _decrypted(self, organization_id: str) -> dict[str, str]:
        keys: dict[str, str] = {}
        with self._sessions() as session:
            rows = session.scalars(
                select(ProviderKey)
                .where(ProviderKey.organization_id == organization_id, ProviderKey.active)
                .order_by(ProviderKey.created_at.desc())
            ).all()
            for row in rows:
                try:
                    keys.setdefault(row.provider, self._fernet.decrypt(row.encrypted_key).decode())
                except InvalidToken:  # stored under another secret key: unusable, skip it
                    continue
        return keys

    async def keys_for(self, organization_id: str) -> dict[str, str]:
        """Provider -> newest key of the organization; cached briefly for the request path,
        and kept while the database is down (MetaUnavailable when nothing is cached)."""
        return await self._cache.get(organization_id)

"""Organizations and Heliograph API keys: creation, and resolving a key to its organization.

Keys are stored as SHA-256 hashes (they are long random secrets, so a fast hash is
enough) and shown in full only once, at creation.
"""

from __future__ import annotations

import difflib
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.models import ApiKey, Organization
from heliograph.meta.names import checked_name
from heliograph.meta.stale_cache import RETRY_S, StaleIfDownCache
from heliograph.throttled_log import ThrottledLog

if TYPE_CHECKING:
    from heliograph.meta.proxy_keys import ProxyKeyStore

KEY_PREFIX = "sk-helicone-"
# Helicone's `key_permissions`: what a key may do. Reads are the REST API's reads; writes are
# its writes, the gateway and logging. "rw" may do both (and manage keys).
KEY_PERMISSIONS = ("rw", "r", "w")
READ_WRITE = "rw"
WRITE_ONLY = "w"
DEFAULT_ORG_NAME = "default"
KEY_CACHE_S = 60.0
MAX_LIVE_KEYS = 1000  # per organization: what one listing answers at most
UNKNOWN_KEY_CACHE_S = 2.0


class UnknownOrganizationError(NotFoundError):
    """No organization has this name (and creating one was not asked for)."""

    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(f"no organization named {name!r}{guess}")
        self.name = name


@dataclass(frozen=True, slots=True)
class UpstreamKey:
    """The provider key a proxy key stands for (meta/proxy_keys.py)."""

    provider: str  # as configured: "openai", "anthropic", ...
    key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the organization a valid key belongs to, and what the key may do."""

    organization_id: str
    key_id: str
    permissions: str = READ_WRITE  # one of KEY_PERMISSIONS; a signed-in user may do all
    # Set for a proxy key: the provider key its passthrough calls are sent with.
    upstream: UpstreamKey | None = None
    # Set for a signed-in user: who, and their role in this organization (api/access.py).
    user_id: str | None = None
    role: str | None = None

    @property
    def can_read(self) -> bool:
        return "r" in self.permissions

    @property
    def can_write(self) -> bool:
        return "w" in self.permissions


@dataclass(frozen=True)
class ApiKeyInfo:
    id: str
    name: str
    preview: str
    created_at: datetime
    key_hash: str
    permissions: str = READ_WRITE


@dataclass(frozen=True)
class NewKey:
    key: str  # the only time the plain key exists
    key_id: str
    name: str  # as stored: trimmed
    organization_id: str
    organization_name: str
    permissions: str = READ_WRITE
    key_hash: str = ""


def checked_permissions(permissions: str) -> str:
    """One of KEY_PERMISSIONS, or a 400 naming them."""
    if permissions not in KEY_PERMISSIONS:
        raise InvalidRequestError(f"key_permissions must be one of {', '.join(KEY_PERMISSIONS)}")
    return permissions


def _info(record: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        record.id,
        record.name,
        record.key_preview,
        record.created_at,
        record.key_hash,
        record.key_permissions,
    )


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    groups = [secrets.token_hex(4) for _ in range(4)]
    return KEY_PREFIX + "-".join(groups)


def _preview(key: str) -> str:
    return key[: len(KEY_PREFIX) + 4] + "..." + key[-4:]


class KeyStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        cache_s: float = KEY_CACHE_S,
        unknown_cache_s: float = UNKNOWN_KEY_CACHE_S,
        retry_s: float = RETRY_S,
        warnings: ThrottledLog | None = None,
        proxy_keys: ProxyKeyStore | None = None,
    ) -> None:
        self._sessions = sessions
        # Helicone's proxy keys, which the passthrough routes take in place of a provider key.
        self.proxy_keys = proxy_keys
        # By the key itself, not its hash: a hit costs no SHA-256 (the key is in memory anyway).
        self._cache: StaleIfDownCache[str, Principal | None] = StaleIfDownCache(
            self.lookup,
            "API keys",
            lambda principal: cache_s if principal else unknown_cache_s,
            retry_s,
            warnings,
        )

    def organization(self, name: str | None = None, *, create: bool = False) -> Organization:
        """The organization of this name (the default one when None).

        A missing one is created only when `create` is true, or when it is the default
        organization: a misspelled name must not quietly make a new, empty organization.
        """
        name = DEFAULT_ORG_NAME if name is None else checked_name("organization name", name)
        with self._sessions.begin() as session:
            org = session.scalars(
                select(Organization)
                .where(Organization.name == name)
                .order_by(Organization.created_at)
            ).first()
            if org is None:
                if not create and name != DEFAULT_ORG_NAME:
                    known = session.scalars(select(Organization.name)).all()
                    raise UnknownOrganizationError(name, list(known))
                org = Organization(id=str(uuid.uuid4()), name=name)
                session.add(org)
            return org

    def create(
        self,
        name: str,
        org_name: str | None = None,
        key: str | None = None,
        *,
        create_org: bool = False,
        permissions: str = READ_WRITE,
    ) -> NewKey:
        """Store a new key (a fresh random one unless `key` is given) for an organization,
        which must exist unless `create_org` is true."""
        name = checked_name("key name", name)
        permissions = checked_permissions(permissions)
        org = self.organization(org_name, create=create_org)
        return self._insert(org.id, org.name, name, key or generate_key(), permissions)

    def create_in(self, organization_id: str, name: str, permissions: str = READ_WRITE) -> NewKey:
        """A fresh random key for an existing organization, given by id."""
        name = checked_name("key name", name)
        permissions = checked_permissions(permissions)
        with self._sessions() as session:
            org = session.get(Organization, organization_id)
            if org is None:
                raise LookupError(organization_id)
            org_name = org.name
            live = session.scalar(
                select(func.count())
                .select_from(ApiKey)
                .where(ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))
            )
        if (live or 0) >= MAX_LIVE_KEYS:
            raise InvalidRequestError(
                f"An organization has at most {MAX_LIVE_KEYS} live API keys: revoke one first"
            )
        return self._insert(organization_id, org_name, name, generate_key(), permissions)

    def _insert(
        self,
        organization_id: str,
        org_name: str,
        name: str,
        key: str,
        permissions: str = READ_WRITE,
    ) -> NewKey:
        record = ApiKey(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            name=name,
            key_hash=hash_key(key),
            key_preview=_preview(key),
            key_permissions=permissions,
        )
        with self._sessions.begin() as session:
            session.add(record)
        return NewKey(key, record.id, name, organization_id, org_name, permissions, record.key_hash)

    def list_keys(self, organization_id: str) -> list[ApiKeyInfo]:
        """The organization's keys that are not revoked, newest first (previews only)."""
        with self._sessions() as session:
            records = session.scalars(
                select(ApiKey)
                .where(ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))
                .order_by(ApiKey.created_at.desc())
            ).all()
            return [_info(record) for record in records]

    def update(
        self,
        organization_id: str,
        key_id: str,
        *,
        name: str | None = None,
        permissions: str | None = None,
    ) -> ApiKeyInfo | None:
        """Rename a live key or change what it may do; None when the organization has no such
        live key. Takes effect at once: cached lookups of the key are forgotten."""
        name = None if name is None else checked_name("key name", name)
        permissions = None if permissions is None else checked_permissions(permissions)
        with self._sessions.begin() as session:
            record = session.get(ApiKey, key_id)
            if (
                record is None
                or record.organization_id != organization_id
                or record.revoked_at is not None
            ):
                return None
            if name is not None:
                record.name = name
            if permissions is not None:
                record.key_permissions = permissions
            info = _info(record)
        self._forget(key_id)
        return info

    def _forget(self, key_id: str) -> None:
        self._cache.forget_where(
            lambda principal: principal is not None and principal.key_id == key_id
        )

    def revoke(self, organization_id: str, key_id: str) -> bool:
        """Revoke one of the organization's keys; False when it has no such live key."""
        with self._sessions.begin() as session:
            record = session.get(ApiKey, key_id)
            if (
                record is None
                or record.organization_id != organization_id
                or record.revoked_at is not None
            ):
                return False
            record.revoked_at = datetime.now(UTC)
        # Forget cached lookups at once, so the key stops working now, not in a minute.
        self._forget(key_id)
        return True

    def ensure(self, key: str, name: str = "bootstrap") -> Principal:
        """The principal of `key`, storing it for the default organization if unknown."""
        found = self.lookup(key)
        if found is not None:
            return found
        created = self.create(name, None, key)
        return Principal(created.organization_id, created.key_id)

    def lookup(self, key: str) -> Principal | None:
        with self._sessions() as session:
            record = session.scalars(
                select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
            ).first()
            if record is None:
                return None
            return Principal(record.organization_id, record.id, record.key_permissions)

    async def resolve(self, key: str | None) -> Principal | None:
        """Cached lookup for the request path: the database is asked at most once a minute
        per key, and while it is down the last answer stands (MetaUnavailable without one)."""
        if not key:
            return None
        return await self._cache.get(key)

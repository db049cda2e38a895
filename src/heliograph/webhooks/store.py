"""Webhooks in the metadata database, organization-scoped; secrets encrypted with Fernet.

The plain secret exists only in the value `create` returns (shown once) and, decrypted,
in memory while a delivery is signed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import Webhook
from heliograph.webhooks.rules import WebhookConfig
from heliograph.webhooks.signing import generate_secret, preview

# The payload version Helicone stamps on new webhooks.
WEBHOOK_VERSION = "2024-10-22"


@dataclass(frozen=True)
class WebhookInfo:
    id: str
    organization_id: str
    destination: str
    version: str
    config: WebhookConfig
    hmac_key_preview: str
    created_at: datetime
    encrypted_hmac_key: str = field(default="", repr=False)  # what deliveries are signed with


@dataclass(frozen=True)
class NewWebhook:
    info: WebhookInfo
    hmac_key: str  # the only time the plain secret leaves the store


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _info(row: Webhook) -> WebhookInfo:
    return WebhookInfo(
        id=row.id,
        organization_id=row.organization_id,
        destination=row.destination,
        version=row.version,
        config=WebhookConfig.from_json(row.config),
        hmac_key_preview=row.hmac_key_preview,
        created_at=as_utc(row.created_at),
        encrypted_hmac_key=row.encrypted_hmac_key,
    )


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


class WebhookStore:
    def __init__(self, sessions: sessionmaker[Session], fernet: Fernet) -> None:
        self._sessions = sessions
        self._fernet = fernet

    def create(self, organization_id: str, destination: str, config: WebhookConfig) -> NewWebhook:
        secret = generate_secret()
        row = Webhook(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            destination=destination,
            version=WEBHOOK_VERSION,
            config=config.to_json(),
            encrypted_hmac_key=self._fernet.encrypt(secret.encode()).decode(),
            hmac_key_preview=preview(secret),
            created_at=datetime.now(UTC),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return NewWebhook(_info(row), secret)

    def list_for(self, organization_id: str) -> list[WebhookInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Webhook)
                .where(Webhook.organization_id == organization_id)
                .order_by(Webhook.created_at, Webhook.id)
            ).all()
            return [_info(row) for row in rows]

    def get(self, organization_id: str, webhook_id: str) -> WebhookInfo | None:
        canonical = _uuid(webhook_id)
        if canonical is None:
            return None
        with self._sessions() as session:
            row = session.scalars(
                select(Webhook).where(
                    Webhook.organization_id == organization_id, Webhook.id == canonical
                )
            ).first()
            return None if row is None else _info(row)

    def delete(self, organization_id: str, webhook_id: str) -> bool:
        """Remove the webhook with its pending deliveries and log (cascade)."""
        canonical = _uuid(webhook_id)
        if canonical is None:
            return False
        with self._sessions.begin() as session:
            result = session.execute(
                delete(Webhook).where(
                    Webhook.organization_id == organization_id, Webhook.id == canonical
                )
            )
        return bool(getattr(result, "rowcount", 0))

    def all_webhooks(self) -> list[WebhookInfo]:
        """Every webhook of every organization (what the dispatcher matches rows against)."""
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(select(Webhook)).all()]

    def decrypt(self, encrypted: str) -> str:
        return self._fernet.decrypt(encrypted.encode()).decode()

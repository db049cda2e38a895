"""The durable delivery queue (`webhook_deliveries`) and its log (`webhook_delivery_attempts`).

A delivery is unique per (webhook, request), so a replayed row never queues twice. The
worker claims due deliveries by pushing their `next_attempt_at` past a lease (with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes never claim the same one);
a process that dies mid-send leaves the delivery to be claimed again once the lease ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import Webhook, WebhookDelivery, WebhookDeliveryAttempt
from heliograph.webhooks.store import as_utc

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    webhook_id: str
    organization_id: str
    request_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: str
    webhook_id: str
    request_id: str
    destination: str
    encrypted_hmac_key: str
    payload: bytes
    attempts: int  # made before this one
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    request_id: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    completed_at: datetime | None
    log: list[Attempt]


def utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryQueue:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def enqueue(self, deliveries: Sequence[NewDelivery]) -> None:
        """Queue deliveries in one transaction, skipping any already queued."""
        if not deliveries:
            return
        now = utcnow()
        values = [_values(d, now) for d in deliveries]
        try:
            with self._sessions.begin() as session:
                self._insert_ignoring_duplicates(session, values)
        except IntegrityError:
            # A webhook deleted since the dispatcher last looked: queue the others one by one.
            for value in values:
                try:
                    with self._sessions.begin() as session:
                        self._insert_ignoring_duplicates(session, [value])
                except IntegrityError:
                    continue

    def _insert_ignoring_duplicates(self, session: Session, values: list[dict[str, Any]]) -> None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql.insert(WebhookDelivery).on_conflict_do_nothing(
                index_elements=["webhook_id", "request_id"]
            )
        elif dialect == "sqlite":
            statement = sqlite.insert(WebhookDelivery).on_conflict_do_nothing(
                index_elements=["webhook_id", "request_id"]
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            statement = insert(WebhookDelivery)
        session.execute(statement, values)

    def claim_due(
        self, limit: int, lease: timedelta
    ) -> tuple[list[ClaimedDelivery], datetime | None]:
        """Up to `limit` due deliveries, leased to the caller, and when the next one is due."""
        now = utcnow()
        delivery = WebhookDelivery
        claimed: list[ClaimedDelivery] = []
        with self._sessions.begin() as session:
            rows = (
                session.execute(
                    select(
                        delivery.id,
                        delivery.webhook_id,
                        delivery.request_id,
                        delivery.payload,
                        delivery.attempts,
                        delivery.created_at,
                        delivery.next_attempt_at,
                        Webhook.destination,
                        Webhook.encrypted_hmac_key,
                    )
                    .join(Webhook, Webhook.id == delivery.webhook_id)
                    .where(delivery.status == PENDING, delivery.next_attempt_at <= now)
                    .order_by(delivery.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=delivery)
                ).all()
                if limit > 0
                else []
            )
            for row in rows:
                # Compare-and-set on the due time: of two claimers (SQLite has no SKIP LOCKED),
                # only the first moves it, so a delivery is never sent twice at once.
                moved = session.execute(
                    update(delivery)
                    .where(
                        delivery.id == row.id,
                        delivery.status == PENDING,
                        delivery.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + lease)
                )
                if getattr(moved, "rowcount", 0) != 1:
                    continue
                claimed.append(
                    ClaimedDelivery(
                        id=row.id,
                        webhook_id=row.webhook_id,
                        request_id=row.request_id,
                        destination=row.destination,
                        encrypted_hmac_key=row.encrypted_hmac_key,
                        payload=row.payload.encode(),
                        attempts=row.attempts,
                        created_at=as_utc(row.created_at),
                    )
                )
            next_due = session.scalar(
                select(func.min(delivery.next_attempt_at)).where(delivery.status == PENDING)
            )
        return claimed, None if next_due is None else as_utc(next_due)

    def record_attempt(
        self,
        delivery: ClaimedDelivery,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        attempted_at: datetime,
        retry_at: datetime | None,
    ) -> str:
        """Log one attempt and move the delivery on: delivered, retried at `retry_at`, or
        failed (no `retry_at`). Returns the new status."""
        succeeded = error is None
        status = DELIVERED if succeeded else (PENDING if retry_at is not None else FAILED)
        with self._sessions.begin() as session:
            current = session.get(WebhookDelivery, delivery.id)
            if current is None:  # the webhook was deleted meanwhile
                return status
            current.attempts += 1
            current.status = status
            if status == PENDING and retry_at is not None:
                current.next_attempt_at = retry_at
            else:
                current.completed_at = attempted_at
            session.add(
                WebhookDeliveryAttempt(
                    delivery_id=delivery.id,
                    attempt=current.attempts,
                    status_code=status_code,
                    error=None if error is None else error[:500],
                    duration_ms=duration_ms,
                    attempted_at=attempted_at,
                )
            )
        return status

    def release(self, delivery_ids: Sequence[str]) -> None:
        """Give leased deliveries back now (a clean shutdown), so a restart sends them at once."""
        if not delivery_ids:
            return
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(list(delivery_ids)))
                .where(WebhookDelivery.status == PENDING)
                .values(next_attempt_at=utcnow())
            )

    def deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        request_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[DeliveryRecord]:
        """A webhook's deliveries, newest first, each with its attempts in order."""
        with self._sessions() as session:
            query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            if status is not None:
                query = query.where(WebhookDelivery.status == status)
            if request_id is not None:
                query = query.where(WebhookDelivery.request_id == request_id)
            rows = session.scalars(
                query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                .limit(limit)
                .offset(offset)
            ).all()
            attempts: dict[str, list[Attempt]] = {row.id: [] for row in rows}
            if attempts:
                for a in session.scalars(
                    select(WebhookDeliveryAttempt)
                    .where(WebhookDeliveryAttempt.delivery_id.in_(list(attempts)))
                    .order_by(WebhookDeliveryAttempt.attempt)
                ).all():
                    attempts[a.delivery_id].append(
                        Attempt(
                            a.attempt, a.status_code, a.error, a.duration_ms, as_utc(a.attempted_at)
                        )
                    )
            return [
                DeliveryRecord(
                    id=row.id,
                    request_id=row.request_id,
                    status=row.status,
                    attempts=row.attempts,
                    created_at=as_utc(row.created_at),
                    next_attempt_at=as_utc(row.next_attempt_at) if row.status == PENDING else None,
                    completed_at=None if row.completed_at is None else as_utc(row.completed_at),
                    log=attempts[row.id],
                )
                for row in rows
            ]


def _values(delivery: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "webhook_id": delivery.webhook_id,
        "organization_id": delivery.organization_id,
        "request_id": delivery.request_id,
        "payload": delivery.payload.decode(),
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "completed_at": None,
    }

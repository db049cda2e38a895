"""Alert rules and their history in the metadata database (SQLite or PostgreSQL).

State changes are conditional updates (`... WHERE status = 'resolved'`), so an alert
fires once per breach even when several gateway processes evaluate the same rules.
Methods are synchronous; callers on the event loop use asyncio.to_thread.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from heliograph.alerts.definition import AlertSpec
from heliograph.meta.models import Alert, AlertHistory

TRIGGERED = "triggered"
RESOLVED = "resolved"
# The rule's filter can no longer be evaluated (e.g. saved before a bound it breaks): not
# evaluated again until an edit, which sets it back to resolved.
BROKEN = "broken"
HISTORY_LIMIT = 1000
# Helicone's alerts carry this unused column; shown for the same row shape.
TIME_BLOCK_DURATION_MS = 60_000


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    aware = _aware(moment)
    return None if aware is None else aware.isoformat()


def _number_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


@dataclass(frozen=True)
class StoredAlert:
    id: str
    organization_id: str
    spec: AlertSpec
    status: str
    cooldown_started_at: datetime | None
    last_evaluated_at: datetime | None
    last_value: float | None
    last_request_count: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Alert) -> StoredAlert:
        spec = AlertSpec(**{f.name: getattr(row, f.name) for f in fields(AlertSpec)})
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            spec=spec,
            status=row.status,
            cooldown_started_at=_aware(row.cooldown_started_at),
            last_evaluated_at=_aware(row.last_evaluated_at),
            last_value=row.last_value,
            last_request_count=row.last_request_count,
            created_at=_aware(row.created_at) or row.created_at,
            updated_at=_aware(row.updated_at) or row.updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        """Helicone's alert row, plus Heliograph's webhook_urls, enabled and last_* fields."""
        spec = self.spec
        return {
            "id": self.id,
            "org_id": self.organization_id,
            "name": spec.name,
            "metric": spec.metric,
            "threshold": spec.threshold,
            "time_window": spec.time_window,
            "time_block_duration": TIME_BLOCK_DURATION_MS,
            "minimum_request_count": spec.minimum_request_count,
            "aggregation": spec.aggregation,
            "percentile": spec.percentile,
            "grouping": None,
            "grouping_is_property": None,
            "filter": spec.filter,
            "emails": spec.emails,
            "slack_channels": [],
            "webhook_urls": spec.webhook_urls,
            "enabled": spec.enabled,
            "status": self.status,
            "soft_delete": False,
            "last_evaluated_at": _iso(self.last_evaluated_at),
            "last_value": self.last_value,
            "last_request_count": self.last_request_count,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    organization_id: str
    alert_id: str
    alert_name: str
    alert_metric: str
    threshold: float
    triggered_value: float
    request_count: int
    resolved_value: float | None
    status: str
    alert_start_time: datetime
    alert_end_time: datetime | None
    notifications: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: AlertHistory) -> HistoryEntry:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        for name in ("alert_start_time", "alert_end_time", "created_at", "updated_at"):
            values[name] = _aware(values[name])
        values["notifications"] = list(row.notifications or [])
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """Helicone's alert_history row (triggered_value is text there), plus details."""
        return {
            "id": self.id,
            "org_id": self.organization_id,
            "alert_id": self.alert_id,
            "alert_name": self.alert_name,
            "alert_metric": self.alert_metric,
            "alert_start_time": _iso(self.alert_start_time),
            "alert_end_time": _iso(self.alert_end_time),
            "triggered_value": _number_text(self.triggered_value),
            "status": self.status,
            "soft_delete": False,
            "threshold": self.threshold,
            "value": self.triggered_value,
            "request_count": self.request_count,
            "resolved_value": self.resolved_value,
            "notifications": self.notifications,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # Rules, always scoped by organization.

    def create(self, organization_id: str, spec: AlertSpec) -> StoredAlert:
        now = _utcnow()
        row = Alert(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            status=RESOLVED,
            created_at=now,
            updated_at=now,
            **asdict(spec),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return StoredAlert.from_row(row)

    def list_alerts(self, organization_id: str) -> list[StoredAlert]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Alert)
                .where(Alert.organization_id == organization_id)
                .order_by(Alert.created_at, Alert.id)
            ).all()
            return [StoredAlert.from_row(row) for row in rows]

    def get(self, organization_id: str, alert_id: str) -> StoredAlert | None:
        with self._sessions() as session:
            row = session.scalars(
                select(Alert).where(Alert.organization_id == organization_id, Alert.id == alert_id)
            ).first()
            return None if row is None else StoredAlert.from_row(row)

    def update(self, organization_id: str, alert_id: str, spec: AlertSpec) -> StoredAlert | None:
        with self._sessions.begin() as session:
            row = session.scalars(
                select(Alert).where(Alert.organization_id == organization_id, Alert.id == alert_id)
            ).first()
            if row is None:
                return None
            for name, value in asdict(spec).items():
                setattr(row, name, value)
            if row.status == BROKEN:  # the edited rule (its filter checked again) gets a new try
                row.status = RESOLVED
            row.updated_at = _utcnow()
            session.flush()
            return StoredAlert.from_row(row)

    def delete(self, organization_id: str, alert_id: str) -> bool:
        with self._sessions.begin() as session:
            session.execute(
                delete(AlertHistory).where(
                    AlertHistory.organization_id == organization_id,
                    AlertHistory.alert_id == alert_id,
                )
            )
            result = session.execute(
                delete(Alert).where(Alert.organization_id == organization_id, Alert.id == alert_id)
            )
        return bool(getattr(result, "rowcount", 0))

    def history(
        self, organization_id: str, alert_id: str | None = None, limit: int = HISTORY_LIMIT
    ) -> list[HistoryEntry]:
        """Newest first."""
        query = select(AlertHistory).where(AlertHistory.organization_id == organization_id)
        if alert_id is not None:
            query = query.where(AlertHistory.alert_id == alert_id)
        query = query.order_by(AlertHistory.alert_start_time.desc(), AlertHistory.id).limit(limit)
        with self._sessions() as session:
            return [HistoryEntry.from_row(row) for row in session.scalars(query).all()]

    # Evaluation, across organizations.

    def enabled_alerts(self) -> list[StoredAlert]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Alert).where(Alert.enabled.is_(True), Alert.status != BROKEN)
            ).all()
            return [StoredAlert.from_row(row) for row in rows]

    def record_evaluation(
        self,
        alert_id: str,
        value: float,
        request_count: int,
        at: datetime,
        cooldown_started_at: datetime | None,
    ) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .values(
                    last_evaluated_at=at,
                    last_value=value,
                    last_request_count=request_count,
                    cooldown_started_at=cooldown_started_at,
                )
            )

    def trigger(
        self, alert: StoredAlert, value: float, request_count: int, at: datetime
    ) -> HistoryEntry | None:
        """Mark the alert triggered and open a history row; None when it already was."""
        with self._sessions.begin() as session:
            changed = session.execute(
                update(Alert)
                .where(Alert.id == alert.id, Alert.status == RESOLVED)
                .values(status=TRIGGERED, cooldown_started_at=None, updated_at=at)
            )
            if not getattr(changed, "rowcount", 0):
                return None
            return _add_history(session, alert, TRIGGERED, value, request_count, at)

    def mark_broken(self, alert: StoredAlert, at: datetime) -> HistoryEntry | None:
        """Mark the alert broken, with a history row saying when; None when it already was."""
        with self._sessions.begin() as session:
            changed = session.execute(
                update(Alert)
                .where(Alert.id == alert.id, Alert.status != BROKEN)
                .values(status=BROKEN, cooldown_started_at=None, updated_at=at)
            )
            if not getattr(changed, "rowcount", 0):
                return None
            return _add_history(session, alert, BROKEN, 0.0, 0, at, ended=True)

    def resolve(self, alert: StoredAlert, value: float, at: datetime) -> HistoryEntry | None:
        """Mark the alert resolved and close its open history row; None when it already was."""
        with self._sessions.begin() as session:
            changed = session.execute(
                update(Alert)
                .where(Alert.id == alert.id, Alert.status == TRIGGERED)
                .values(status=RESOLVED, cooldown_started_at=None, updated_at=at)
            )
            if not getattr(changed, "rowcount", 0):
                return None
            rows = session.scalars(
                select(AlertHistory)
                .where(AlertHistory.alert_id == alert.id, AlertHistory.status == TRIGGERED)
                .order_by(AlertHistory.alert_start_time.desc())
            ).all()
            for row in rows:
                row.status = RESOLVED
                row.alert_end_time = at
                row.resolved_value = value
                row.updated_at = at
            session.flush()
            return HistoryEntry.from_row(rows[0]) if rows else None

    def add_notifications(self, history_id: str, results: list[dict[str, Any]]) -> None:
        with self._sessions.begin() as session:
            row = session.scalars(
                select(AlertHistory).where(AlertHistory.id == history_id).with_for_update()
            ).first()
            if row is not None:
                row.notifications = [*(row.notifications or []), *results]
                row.updated_at = _utcnow()


def _add_history(
    session: Session,
    alert: StoredAlert,
    status: str,
    value: float,
    request_count: int,
    at: datetime,
    *,
    ended: bool = False,
) -> HistoryEntry:
    """A new history row of `alert` starting at `at` (and ending then too, when `ended`)."""
    row = AlertHistory(
        id=str(uuid.uuid4()),
        organization_id=alert.organization_id,
        alert_id=alert.id,
        alert_name=alert.spec.name,
        alert_metric=alert.spec.metric,
        threshold=alert.spec.threshold,
        triggered_value=value,
        request_count=request_count,
        status=status,
        alert_start_time=at,
        alert_end_time=at if ended else None,
        notifications=[],
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return HistoryEntry.from_row(row)

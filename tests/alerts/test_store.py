"""The alert store on real SQLite and PostgreSQL, and the trigger/resolve decision."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from heliograph.alerts.definition import AlertSpec, parse_alert
from heliograph.alerts.evaluator import HOLD, RESOLVE, TRIGGER, decide
from heliograph.alerts.metrics import Measurement
from heliograph.alerts.store import AlertStore, StoredAlert
from heliograph.meta import db
from heliograph.meta.keys import KeyStore

FILTER = {"request_response_rmt": {"properties": {"environment": {"equals": "production"}}}}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.connect(database_url)
    try:
        db.migrate(engine)
        yield engine
    finally:
        engine.dispose()


def spec(**changes: object) -> AlertSpec:
    body = {
        "name": "errors",
        "metric": "response.status",
        "threshold": 50,
        "time_window": 60_000,
        "webhook_urls": ["https://hooks.example.com/x"],
        "filter": FILTER,
        **changes,
    }
    return parse_alert(body)


def test_alerts_and_history_on_both_databases(engine: Engine):
    assert {"alerts", "alert_history"} <= set(inspect(engine).get_table_names())
    sessions = db.session_factory(engine)
    org = KeyStore(sessions).create("ci", "alerts-store", create_org=True).organization_id
    other = KeyStore(sessions).create("ci", "alerts-store-other", create_org=True).organization_id
    store = AlertStore(sessions)
    alert = store.create(org, spec())
    assert store.get(org, alert.id) == alert and store.get(other, alert.id) is None
    assert alert.spec.filter == FILTER and alert.created_at.tzinfo is not None
    assert [a.id for a in store.enabled_alerts()] == [alert.id]

    now = datetime.now(UTC)
    opened = store.trigger(alert, 60.0, 10, now)
    assert opened is not None and opened.status == "triggered" and opened.triggered_value == 60
    assert store.trigger(alert, 70.0, 12, now) is None, "one breach fires once"
    store.add_notifications(opened.id, [{"channel": "webhook", "ok": True}])
    store.add_notifications(opened.id, [{"channel": "email", "ok": False}])
    store.record_evaluation(alert.id, 55.0, 11, now, now - timedelta(seconds=1))
    current = store.get(org, alert.id)
    assert current is not None and current.status == "triggered"
    assert current.last_value == 55 and current.cooldown_started_at is not None

    closed = store.resolve(current, 20.0, now + timedelta(seconds=5))
    assert closed is not None and closed.id == opened.id and closed.status == "resolved"
    assert closed.alert_end_time == now + timedelta(seconds=5) and closed.resolved_value == 20
    assert store.resolve(current, 10.0, now) is None
    [entry] = store.history(org, alert.id)
    assert [n["channel"] for n in entry.notifications] == ["webhook", "email"]
    assert store.history(other) == [] and store.get(org, alert.id).cooldown_started_at is None

    assert store.update(other, alert.id, spec(threshold=5)) is None
    updated = store.update(org, alert.id, spec(threshold=5, enabled=False))
    assert updated is not None and updated.spec.threshold == 5 and not updated.spec.enabled
    assert store.enabled_alerts() == []
    assert not store.delete(other, alert.id)
    assert store.delete(org, alert.id) and store.history(org) == []


def stored(
    status: str, cooldown_started_at: datetime | None = None, **changes: object
) -> StoredAlert:
    now = datetime.now(UTC)
    return StoredAlert(
        id="a",
        organization_id="o",
        spec=spec(**changes),
        status=status,
        cooldown_started_at=cooldown_started_at,
        last_evaluated_at=None,
        last_value=None,
        last_request_count=None,
        created_at=now,
        updated_at=now,
    )


def test_decisions_follow_helicone():
    now = datetime.now(UTC)
    resolved = stored("resolved", minimum_request_count=10)
    assert decide(resolved, Measurement(60, 10), now, 300).action == TRIGGER
    assert decide(resolved, Measurement(50, 10), now, 300).action == TRIGGER, "at the threshold"
    assert decide(resolved, Measurement(90, 9), now, 300).action == HOLD, "too few requests"
    assert decide(resolved, Measurement(10, 100), now, 300).action == HOLD

    triggered = stored("triggered", minimum_request_count=10)
    assert decide(triggered, Measurement(90, 100), now, 300) == decide(
        stored("triggered", now - timedelta(minutes=1)), Measurement(90, 100), now, 300
    ), "a new breach clears a running cooldown"
    waiting = decide(triggered, Measurement(10, 2), now, 300)
    assert waiting.action == HOLD and waiting.cooldown_started_at == now
    later = stored("triggered", now - timedelta(seconds=299))
    assert decide(later, Measurement(10, 2), now, 300).action == HOLD
    done = stored("triggered", now - timedelta(seconds=300))
    assert decide(done, Measurement(0, 0), now, 300).action == RESOLVE
    assert decide(triggered, Measurement(0, 0), now, 0).action == RESOLVE

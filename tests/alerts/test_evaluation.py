"""Alerts end to end: real calls through the proxy, the real evaluator, real webhooks and SMTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.conftest import (
    REFUSED_DOMAIN,
    SMTP_PASSWORD,
    SMTP_USER,
    MailCatcher,
    WebhookReceiver,
    chat,
    evaluations_pass,
    wait_until,
)
from tests.server import HeliographProcess


def create(server: HeliographProcess, key: str, **alert: Any) -> str:
    with server.api(key) as client:
        response = client.post("/v1/alert/create", json=alert)
    assert response.status_code == 200, response.text
    return str(response.json()["data"])


def get(server: HeliographProcess, key: str, alert_id: str) -> dict[str, Any]:
    with server.api(key) as client:
        return dict(client.get(f"/v1/alert/{alert_id}").json()["data"])


def history(server: HeliographProcess, key: str, alert_id: str) -> list[dict[str, Any]]:
    with server.api(key) as client:
        return list(client.get(f"/v1/alert/{alert_id}/history").json()["data"])


def test_error_burst_fires_once_survives_a_restart_and_resolves(
    alert_server: HeliographProcess, webhooks: WebhookReceiver, mail: MailCatcher
):
    server = alert_server
    key = server.create_key("alerts-error-burst")
    alert_id = create(
        server,
        key,
        name="Provider errors",
        metric="response.status",
        threshold=50,
        time_window="60000",  # Helicone sends milliseconds as a string
        minimum_request_count=10,
        emails=["oncall@example.com"],
        webhook_urls=[webhooks.url + "/hook/errors"],
    )
    for failing in (False, True, True, False, True, True, False, True, True, False):
        row = chat(server, key, behaviour="status=500" if failing else "")
        assert row["response_status"] == (500 if failing else 200)

    fired = wait_until(lambda: webhooks.bodies("/hook/errors"), what="the triggered webhook")
    wait_until(lambda: mail.to("oncall@example.com"), what="the triggered e-mail")
    evaluations_pass(server, key, alert_id)
    assert len(fired) == 1
    event = fired[0]
    assert event["event"] == "alert.triggered" and event["status"] == "triggered"
    assert event["value"] == 60 and event["threshold"] == 50 and event["request_count"] == 10
    assert event["alert"]["id"] == alert_id and event["alert"]["status"] == "triggered"
    assert "Provider errors" in event["text"]
    emails = mail.to("oncall@example.com")
    assert len(emails) == 1
    assert emails[0]["Subject"] == "Alert Triggered: Provider errors"
    assert emails[0]["From"] == "Heliograph <alerts@heliograph.test>"
    assert SMTP_USER in mail.logins

    entries = wait_until(
        lambda: [e for e in history(server, key, alert_id) if len(e["notifications"]) == 2],
        what="notification results in history",
    )
    assert len(entries) == 1 and len(history(server, key, alert_id)) == 1
    entry = entries[0]
    assert entry["status"] == "triggered" and entry["triggered_value"] == "60"
    assert entry["alert_end_time"] is None and entry["request_count"] == 10
    assert {(n["channel"], n["event"], n["ok"]) for n in entry["notifications"]} == {
        ("webhook", "triggered", True),
        ("email", "triggered", True),
    }
    assert get(server, key, alert_id)["status"] == "triggered"

    server.stop()  # state is in the metadata DB: a restart does not fire again
    server.start()
    evaluations_pass(server, key, alert_id)
    assert len(webhooks.bodies("/hook/errors")) == 1
    assert len(mail.to("oncall@example.com")) == 1
    assert get(server, key, alert_id)["status"] == "triggered"

    for _ in range(20):  # 6 errors in 30 calls: 20%, under the threshold
        chat(server, key)
    resolved = wait_until(
        lambda: [b for b in webhooks.bodies("/hook/errors") if b["status"] == "resolved"],
        what="the resolved webhook",
    )
    wait_until(lambda: len(mail.to("oncall@example.com")) == 2, what="the resolved e-mail")
    evaluations_pass(server, key, alert_id)
    assert len(resolved) == 1 and len(webhooks.bodies("/hook/errors")) == 2
    assert resolved[0]["event"] == "alert.resolved" and resolved[0]["value"] < 50
    assert mail.to("oncall@example.com")[1]["Subject"] == "Alert Resolved: Provider errors"
    [entry] = wait_until(
        lambda: [e for e in history(server, key, alert_id) if len(e["notifications"]) == 4],
        what="resolved notifications in history",
    )
    assert entry["status"] == "resolved" and entry["alert_end_time"] is not None
    assert entry["resolved_value"] < 50
    assert sorted(n["event"] for n in entry["notifications"]) == [
        "resolved",
        "resolved",
        "triggered",
        "triggered",
    ]
    assert all(n["ok"] for n in entry["notifications"])
    assert get(server, key, alert_id)["status"] == "resolved"
    assert SMTP_PASSWORD not in server.log()


def production_only(threshold: float, url: str) -> dict[str, Any]:
    """A cost alert on requests whose `environment` property is `production`.

    The filter is the expression Helicone's dashboard saves with an alert.
    """
    return {
        "name": "Production spend",
        "metric": "cost",
        "threshold": threshold,
        "time_window": 60_000,
        "webhook_urls": [url],
        "filter": {
            "type": "condition",
            "field": {
                "table": "request_response_rmt",
                "column": "properties",
                "subtype": "property",
                "valueMode": "value",
                "key": "environment",
            },
            "operator": "eq",
            "value": "production",
        },
    }


def test_cost_alert_counts_only_requests_with_the_filtered_property(
    alert_server: HeliographProcess, webhooks: WebhookReceiver
):
    server = alert_server
    key = server.create_key("alerts-cost")
    alert_id = create(server, key, **production_only(0.02, webhooks.url + "/hook/cost"))
    # gpt-4 at $60 per million output tokens: 200 words cost about $0.012 a call.
    staging = [chat(server, key, behaviour="words=200", model="gpt-4", environment="staging")]
    staging += [chat(server, key, behaviour="words=200", model="gpt-4", environment="staging")]
    staging += [chat(server, key, behaviour="words=200", model="gpt-4", environment="staging")]
    assert sum(row["cost"] for row in staging) > 0.03
    evaluations_pass(server, key, alert_id)
    quiet = get(server, key, alert_id)
    assert quiet["status"] == "resolved" and quiet["last_request_count"] == 0
    assert webhooks.bodies("/hook/cost") == []

    production = [chat(server, key, behaviour="words=200", model="gpt-4", environment="production")]
    assert get(server, key, alert_id)["status"] == "resolved", "one call is under $0.02"
    production += [
        chat(server, key, behaviour="words=200", model="gpt-4", environment="production")
    ]
    [event] = wait_until(lambda: webhooks.bodies("/hook/cost"), what="the cost alert")
    assert event["status"] == "triggered" and event["request_count"] == 2
    assert event["value"] == pytest.approx(sum(row["cost"] for row in production))
    assert event["value"] >= 0.02


def test_failing_targets_are_recorded_and_evaluation_goes_on(
    alert_server: HeliographProcess, webhooks: WebhookReceiver, mail: MailCatcher
):
    server = alert_server
    key = server.create_key("alerts-failing-targets")
    closed_port = server.port + 1 if server.port < 65535 else server.port - 1
    bounced = "nobody" + REFUSED_DOMAIN
    alert_id = create(
        server,
        key,
        name="Traffic",
        metric="count",
        threshold=3,
        time_window=60_000,
        emails=[bounced],
        webhook_urls=[
            webhooks.url + "/fail/500",
            f"http://127.0.0.1:{closed_port}/hooks/secret-token",
            webhooks.url + "/hook/working",
        ],
    )
    for _ in range(3):
        chat(server, key)
    [entry] = wait_until(
        lambda: [e for e in history(server, key, alert_id) if len(e["notifications"]) == 4],
        what="four notification results",
    )
    results = {n["target"]: n for n in entry["notifications"]}  # the receiver's two collide
    failing = [n for n in entry["notifications"] if n.get("status") == 500]
    assert len(failing) == 1 and failing[0]["error"] == "HTTP 500" and not failing[0]["ok"]
    unreachable = results[f"http://127.0.0.1:{closed_port}/..."]
    assert unreachable["ok"] is False and unreachable["error"]
    assert "secret-token" not in str(entry), "webhook paths are not stored in history"
    email = results[bounced]
    assert email["channel"] == "email" and email["ok"] is False and "550" in email["error"]
    working = [n for n in entry["notifications"] if n.get("status") == 200]
    assert len(working) == 1 and working[0]["ok"] is True
    [payload] = webhooks.bodies("/hook/working")
    assert "secret-token" not in str(payload) and bounced not in str(payload), (
        "a target never learns the alert's other targets"
    )
    assert len(webhooks.bodies("/fail/500")) == 1
    assert mail.to(bounced) == []
    evaluations_pass(server, key, alert_id)  # the evaluator keeps going
    assert get(server, key, alert_id)["status"] == "triggered"
    assert "secret-token" not in server.log()

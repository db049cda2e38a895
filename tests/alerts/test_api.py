"""The alert REST API on the real server: CRUD on Jawn's paths, validation, tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.inprocess import InProcessServer

HOOK = "http://127.0.0.1:9/alerts"  # the discard port: nothing listens


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def error_rate_alert(**changes: Any) -> dict[str, Any]:
    """The body Helicone's dashboard posts to /v1/alert/create, with a webhook added."""
    return {
        "name": "High error rate",
        "metric": "response.status",
        "threshold": 10,
        "time_window": "3600000",
        "emails": ["team@example.com"],
        "slack_channels": [],
        "minimum_request_count": 5,
        "webhook_urls": [HOOK],
        **changes,
    }


def create(server: InProcessServer, body: Any, key: str | None = None) -> Any:
    with server.api(key) as client:
        return client.post("/v1/alert/create", json=body)


def test_create_read_update_delete(server: InProcessServer):
    key = server.create_key("alerts-crud")
    created = create(server, error_rate_alert(), key)
    assert created.status_code == 200 and created.json()["error"] is None
    alert_id = created.json()["data"]
    assert str(uuid.UUID(alert_id)) == alert_id

    with server.api(key) as client:
        listed = client.get("/v1/alert/query").json()
        one = client.get(f"/v1/alert/{alert_id}").json()["data"]
        assert client.get(f"/v1/alert/{alert_id}/history").json() == {"data": [], "error": None}
    assert listed["error"] is None and listed["data"]["history"] == []
    assert listed["data"]["alerts"] == [one]
    assert {k: one[k] for k in error_rate_alert() if k != "time_window"} == {
        k: v for k, v in error_rate_alert().items() if k != "time_window"
    }
    assert one["time_window"] == 3_600_000
    assert one["status"] == "resolved" and one["enabled"] is True
    assert one["filter"] is None and one["grouping"] is None and one["soft_delete"] is False
    assert one["last_evaluated_at"] is None or one["last_evaluated_at"].endswith("+00:00")

    with server.api(key) as client:
        disabled = client.patch(f"/v1/alert/{alert_id}", json={"enabled": False}).json()
        changed = client.patch(
            f"/v1/alert/{alert_id}", json={"threshold": 25.5, "emails": []}
        ).json()["data"]
        refused = client.patch(f"/v1/alert/{alert_id}", json={"threshold": 150})
        cleared = client.patch(f"/v1/alert/{alert_id}", json={"webhook_urls": []})
    assert disabled["data"]["enabled"] is False
    assert disabled["data"]["name"] == "High error rate", "unsent fields are kept"
    assert changed["threshold"] == 25.5 and changed["emails"] == [] and changed["enabled"] is False
    assert refused.status_code == 400 and "threshold" in refused.json()["error"]
    assert cleared.status_code == 400
    assert cleared.json()["error"].startswith("At least one notification method is required")

    with server.api(key) as client:
        assert client.get(f"/v1/alert/{alert_id}").json()["data"] == changed
        assert client.delete(f"/v1/alert/{alert_id}").json() == {"data": None, "error": None}
        gone = client.get(f"/v1/alert/{alert_id}")
        again = client.delete(f"/v1/alert/{alert_id}")
        assert client.get("/v1/alert/query").json()["data"] == {"alerts": [], "history": []}
    assert gone.status_code == 404 and gone.json() == {"data": None, "error": "Alert not found"}
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "Name"),
        ({"name": None}, "Name"),
        ({"metric": "vibes"}, "metric"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": "10"}, "threshold"),
        ({"threshold": 101}, "threshold"),
        ({"metric": "cost", "threshold": 0.001}, "threshold"),
        ({"time_window": 1000}, "time_window"),
        ({"time_window": "one hour"}, "time_window"),
        ({"time_window": 31 * 24 * 3600 * 1000}, "time_window"),
        ({"minimum_request_count": -1}, "minimum_request_count"),
        ({"minimum_request_count": "5"}, "minimum_request_count"),
        ({"emails": ["not-an-address"]}, "emails"),
        ({"emails": "team@example.com"}, "emails"),
        ({"webhook_urls": ["ftp://example.com/hook"]}, "webhook_urls"),
        ({"webhook_urls": ["not a url"]}, "webhook_urls"),
        ({"emails": [], "webhook_urls": []}, "notification method"),
        ({"slack_channels": ["C123"]}, "slack_channels"),
        ({"grouping": "user"}, "grouping"),
        ({"aggregation": "median"}, "aggregation"),
        ({"metric": "latency", "aggregation": "percentile", "percentile": 150}, "percentile"),
        ({"enabled": "yes"}, "enabled"),
        ({"filter": {"request_response_rmt": {"nope": {"equals": 1}}}}, "filter"),
        ({"filter": {"type": "condition", "operator": "eq"}}, "filter"),
        ({"minimum_requests": 3}, "minimum_requests"),
        ({"threshold": 10**400}, "threshold"),
        ({"name": "bad\u0000name"}, "name"),
        ({"minimum_request_count": 10**30}, "minimum_request_count"),
        ({"webhook_urls": ["http://example.com:99999/hook"]}, "webhook_urls"),
        ({"webhook_urls": ["http://[::1/hook"]}, "webhook_urls"),
        (
            {
                "filter": {
                    "type": "condition",
                    "field": {"column": "x", "key": []},
                    "operator": "eq",
                    "value": 1,
                }
            },
            "filter",
        ),
    ],
)
def test_invalid_alerts_are_400_naming_the_field(
    server: InProcessServer, changes: dict[str, Any], field: str
):
    response = create(server, error_rate_alert(**changes))
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None and field in body["error"]


@pytest.mark.parametrize("body", [[], "text", None, 5])
def test_bodies_that_are_not_objects_are_400(server: InProcessServer, body: Any):
    response = create(server, body)
    assert response.status_code == 400 and response.json()["data"] is None


def test_both_filter_shapes_and_every_metric_are_accepted(server: InProcessServer):
    key = server.create_key("alerts-shapes")
    legacy = {"request_response_rmt": {"properties": {"environment": {"equals": "production"}}}}
    expression = {
        "type": "and",
        "expressions": [
            {
                "type": "condition",
                "field": {"table": "request_response_rmt", "column": "model"},
                "operator": "eq",
                "value": "gpt-4o",
            },
            {
                "type": "condition",
                "field": {"table": "request_response_rmt", "column": "Helicone-Session-Name"},
                "operator": "neq",
                "value": "smoke",
            },
        ],
    }
    bodies = [
        error_rate_alert(filter=legacy),
        error_rate_alert(filter=expression),
        error_rate_alert(metric="cost", threshold=100, filter={"type": "all"}),
        error_rate_alert(metric="latency", threshold=2000, aggregation="percentile"),
        error_rate_alert(metric="total_tokens", threshold=1e6, aggregation="max"),
        error_rate_alert(metric="count", threshold=1000, webhook_urls=[], id="x", org_id="y"),
    ]
    ids = [create(server, body, key).json()["data"] for body in bodies]
    with server.api(key) as client:
        alerts = {a["id"]: a for a in client.get("/v1/alert/query").json()["data"]["alerts"]}
    assert set(alerts) == set(ids)
    assert alerts[ids[0]]["filter"] == legacy and alerts[ids[1]]["filter"] == expression
    assert alerts[ids[3]]["percentile"] == 50, "Helicone's default percentile"
    assert alerts[ids[5]]["org_id"] != "y" and alerts[ids[5]]["webhook_urls"] == []


def test_other_organizations_cannot_see_or_touch_an_alert(server: InProcessServer):
    owner = server.create_key("alerts-owner")
    intruder = server.create_key("alerts-intruder")
    alert_id = create(server, error_rate_alert(), owner).json()["data"]
    with server.api(intruder) as client:
        assert client.get("/v1/alert/query").json()["data"] == {"alerts": [], "history": []}
        for response in (
            client.get(f"/v1/alert/{alert_id}"),
            client.get(f"/v1/alert/{alert_id}/history"),
            client.patch(f"/v1/alert/{alert_id}", json={"enabled": False}),
            client.delete(f"/v1/alert/{alert_id}"),
        ):
            assert response.status_code == 404
            assert response.json() == {"data": None, "error": "Alert not found"}
        assert client.get("/v1/alert/not-a-uuid").status_code == 404
        assert client.get(f"/v1/alert/{uuid.uuid4()}").status_code == 404
    with server.api(owner) as client:
        kept = client.get(f"/v1/alert/{alert_id}").json()["data"]
    assert kept["enabled"] is True


def test_alerts_need_a_key(server: InProcessServer):
    response = server.request("GET", "/v1/alert/query")
    assert response.status_code == 401 and response.json()["data"] is None

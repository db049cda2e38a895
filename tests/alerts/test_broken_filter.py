"""An alert whose filter cannot be evaluated: refused up front, marked once if already saved."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from tests.alerts.conftest import wait_until
from tests.alerts.test_api import create, error_rate_alert
from tests.api.test_filter_bounds import property_leaf
from tests.server import HeliographProcess

TOO_BIG = "Invalid filter: Filter has more than 100 conditions"


def _alert(server: HeliographProcess, alert_id: str) -> dict[str, Any]:
    with server.api() as client:
        return dict(client.get(f"/v1/alert/{alert_id}").json()["data"])


def _next_round(server: HeliographProcess, heartbeat_id: str) -> None:
    """Wait until the rule `heartbeat_id` has been evaluated once more."""
    before = _alert(server, heartbeat_id)["last_evaluated_at"]
    wait_until(
        lambda: _alert(server, heartbeat_id)["last_evaluated_at"] != before,
        what="another evaluation round",
    )


def test_alert_api_refuses_a_filter_past_the_bound(server: HeliographProcess):
    refused = create(server, error_rate_alert(filter=property_leaf(1500)))
    assert refused.status_code == 400, refused.text
    assert refused.json() == {"data": None, "error": TOO_BIG}
    alert_id = create(server, error_rate_alert()).json()["data"]
    with server.api() as client:
        patched = client.patch(f"/v1/alert/{alert_id}", json={"filter": property_leaf(1500)})
        assert patched.status_code == 400, patched.text
        assert patched.json() == {"data": None, "error": TOO_BIG}
        assert client.get(f"/v1/alert/{alert_id}").json()["data"]["filter"] is None


def test_a_saved_filter_that_cannot_be_evaluated_marks_the_alert_once(
    start_server: Callable[..., HeliographProcess],
):
    server = start_server(
        env={
            "HELIOGRAPH_ALERT_CHECK_SECONDS": "0.2",
            "HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1:9",  # HOOK, the discard port
        }
    )
    broken_id = create(server, error_rate_alert(name="old rule")).json()["data"]
    heartbeat_id = create(server, error_rate_alert(name="heartbeat")).json()["data"]
    # As saved by a version that knew no bound: written straight into the metadata DB.
    with sqlite3.connect(server.data_dir / "metadata.db") as db:
        db.execute(
            "UPDATE alerts SET filter = ? WHERE id = ?",
            (json.dumps(property_leaf(1500)), broken_id),
        )

    broken = wait_until(
        lambda: (alert := _alert(server, broken_id))["status"] == "broken" and alert,
        what="the alert marked broken",
    )
    with server.api() as client:
        history = client.get(f"/v1/alert/{broken_id}/history").json()["data"]
    assert [entry["status"] for entry in history] == ["broken"]

    # Several more evaluation rounds (the heartbeat rule is measured in each) add nothing.
    for _ in range(3):
        _next_round(server, heartbeat_id)
    assert _alert(server, broken_id) == broken
    assert server.log().count(f"alert {broken_id}: its filter cannot be evaluated") == 1

    with server.api() as client:
        edited = client.patch(f"/v1/alert/{broken_id}", json={"filter": property_leaf(3)})
    assert edited.status_code == 200, edited.text
    assert edited.json()["data"]["status"] == "resolved"

"""Filters at and past their documented bound (100 conditions): a 400, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def property_leaf(conditions: int) -> dict[str, Any]:
    """One leaf holding `conditions` property conditions."""
    keys = {f"key-{n}": {"equals": f"value-{n}"} for n in range(conditions)}
    return {"request_response_rmt": {"properties": keys}}


def test_a_leaf_with_1500_conditions_is_a_clear_400(server: InProcessServer):
    with server.api() as client:
        answer = client.post("/v1/request/query-clickhouse", json={"filter": property_leaf(1500)})
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "data": None,
        "error": "Filter has more than 100 conditions",
    }


def test_a_filter_at_the_bound_is_answered(server: InProcessServer):
    with server.api() as client:
        answer = client.post("/v1/request/query-clickhouse", json={"filter": property_leaf(100)})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"data": [], "error": None}

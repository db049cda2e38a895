"""Helicone's property charts: one property over time, its top values by cost and requests.

Calls go through the real proxy for a new organization, tagged with an `Environment`
property; every answer is recomputed from the rows /v1/request/query-clickhouse returns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest

from tests.api.test_metrics import Row, Traffic, _call, created, send_traffic
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@pytest.fixture(scope="module")
def traffic(server: InProcessServer) -> Traffic:
    """test_metrics' traffic plus twelve environments: e00 three times, the others once."""
    traffic = send_traffic(server, server.create_key(f"props-{uuid.uuid4()}"))
    names = [f"e{i:02d}" for i in range(12)] + ["e00", "e00"]
    ids = [_call(server, traffic.key, environment=name).headers["helicone-id"] for name in names]
    for request_id in ids:
        server.wait_for_request(request_id, traffic.key)
    traffic.rows = traffic.query_rows("all")
    return traffic


def environment(row: Row) -> str:
    return next((v for k, v in row["request_properties"].items() if k.lower() == "environment"), "")


def by_value(rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if environment(row):
            grouped[environment(row)].append(row)
    return grouped


def ranked(totals: dict[str, Any], name: str) -> list[dict[str, Any]]:
    order = sorted(totals, key=lambda value: (-totals[value], value))
    top = [{"value": value, name: totals[value]} for value in order[:10]]
    rest = sum(totals[value] for value in order[10:])
    return top + ([{"value": "Other", name: rest}] if rest > 0 else [])


def test_top_requests_rank_the_values_and_sum_the_rest(traffic: Traffic):
    counts = {value: len(rows) for value, rows in by_value(traffic.rows).items()}
    body = traffic.window()
    for key in ("Environment", "environment"):  # the key is matched case-insensitively
        got = traffic.post(f"/v1/property/{key}/top-requests/query", body).json()["data"]
        assert got == ranked(counts, "count")
    assert got[-1]["value"] == "Other" and len(got) == 11


def test_top_costs_rank_the_values_and_sum_the_rest(traffic: Traffic):
    costs = {v: sum(r["cost"] for r in rows) for v, rows in by_value(traffic.rows).items()}
    got = traffic.post("/v1/property/Environment/top-costs/query", traffic.window()).json()
    wanted = ranked(costs, "cost")
    assert [entry["value"] for entry in got["data"]] == [entry["value"] for entry in wanted]
    for entry, expected in zip(got["data"], wanted, strict=True):
        assert entry["cost"] == pytest.approx(expected["cost"], abs=1e-12)
    assert got["error"] is None and sum(e["cost"] for e in wanted) > 0


def test_over_time_per_bucket_and_value(traffic: Traffic):
    body = traffic.window(
        userFilter="all", dbIncrement="min", timeZoneDifference=0, propertyKey="ENVIRONMENT"
    )
    got = traffic.post("/v1/property/properties/over-time", body).json()["data"]
    wanted: dict[tuple[datetime, str], list[Row]] = defaultdict(list)
    for row in traffic.rows:
        if environment(row):
            minute = created(row).replace(second=0, microsecond=0)
            wanted[(minute, environment(row))].append(row)
    assert len(got) == len(wanted) > 12
    for point in got:
        rows = wanted[(datetime.fromisoformat(point["created_at_trunc"]), point["property"])]
        assert point["request_count"] == len(rows) > 0
        assert point["total_cost"] == pytest.approx(sum(r["cost"] for r in rows), abs=1e-12)
    staging = {"request_response_rmt": {"properties": {"Environment": {"equals": "staging"}}}}
    filtered = traffic.post(
        "/v1/property/properties/over-time", {**body, "userFilter": staging}
    ).json()["data"]
    assert {point["property"] for point in filtered} == {"staging"}


ROUTES = [
    ("/v1/property/properties/over-time", {"propertyKey": "Environment", "dbIncrement": "min"}),
    ("/v1/property/Environment/top-costs/query", {}),
    ("/v1/property/Environment/top-requests/query", {}),
]


@pytest.mark.parametrize(("path", "extra"), ROUTES)
def test_another_organization_sees_none_of_it(
    server: InProcessServer, traffic: Traffic, path, extra
):
    other = server.new_organization("props-other")
    body = traffic.window(**extra)
    mine, theirs = traffic.post(path, body), traffic.post(path, body, key=other)
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["data"] and theirs.json() == {"data": [], "error": None}


def test_bad_bodies_are_refused(traffic: Traffic):
    refused = [
        ("/v1/property/properties/over-time", traffic.window(propertyKey="")),
        ("/v1/property/properties/over-time", traffic.window()),
        ("/v1/property/Environment/top-costs/query", {}),
        ("/v1/property/Environment/top-requests/query", traffic.window(limit=3)),
    ]
    for path, body in refused:
        response = traffic.post(path, body)
        assert response.status_code == 400 and response.json()["data"] is None, (path, body)

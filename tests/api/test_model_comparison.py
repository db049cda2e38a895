"""Helicone's model comparison over the caller's own last 30 days, recomputed from the rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.test_metrics import Row, Traffic, quantile, send_traffic
from tests.inprocess import InProcessServer

MINI = {"parent": "gpt-4o-mini", "names": ["gpt-4o-mini"], "provider": "openai"}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@pytest.fixture(scope="module")
def traffic(server: InProcessServer) -> Traffic:
    """The metrics traffic; feedback on three gpt-4o-mini calls, two of them positive."""
    traffic = send_traffic(server, server.create_key(f"compare-{uuid.uuid4()}"))
    mini = [row for row in traffic.rows if row["model"] == "gpt-4o-mini"]
    for row, rating in zip(mini, (True, True, False), strict=False):
        path = f"/v1/request/{row['request_id']}/feedback"
        assert traffic.post(path, {"rating": rating}).status_code == 200
    traffic.rows = traffic.query_rows("all")
    assert sum(1 for row in traffic.rows if row["feedback_rating"] is not None) == 3
    return traffic


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return dict.fromkeys(("average", "median", "min", "max", "p90", "p95", "p99"), 0.0)
    return {
        "average": pytest.approx(sum(values) / len(values)),
        "median": quantile(values, 0.5),  # type: ignore[arg-type]
        "min": min(values),
        "max": max(values),
        **{f"p{round(q * 100)}": quantile(values, q) for q in (0.9, 0.95, 0.99)},  # type: ignore[arg-type]
    }


def compare(traffic: Traffic, body: Any, key: str | None = None) -> Any:
    return traffic.post("/v1/public/compare/models", body, key=key)


def test_a_model_compared_from_its_rows(traffic: Traffic):
    response = compare(traffic, [MINI, {**MINI, "parent": "4o", "names": ["gpt-4o"]}])
    assert response.status_code == 200, response.text
    mini, four = response.json()["data"]
    assert (mini["model"], mini["provider"], four["model"]) == ("gpt-4o-mini", "openai", "4o")
    rows: list[Row] = [row for row in traffic.rows if row["model"] == "gpt-4o-mini"]
    per_1000 = [
        row["delay_ms"] / row["completion_tokens"] * 1000
        for row in rows
        if (row["delay_ms"] or 0) > 0 and (row["completion_tokens"] or 0) > 0
    ]
    wanted_latency = stats(per_1000)
    assert mini["latency"] == {**wanted_latency, "medianPer1000Tokens": wanted_latency["median"]}
    ttfts = [row["time_to_first_token"] for row in rows if (row["time_to_first_token"] or 0) > 0]
    assert mini["ttft"] == stats(ttfts) and ttfts
    errors = sum(1 for row in rows if row["response_status"] >= 500)
    assert mini["requestStatus"] == {
        "successRate": pytest.approx(1 - errors / len(rows)),
        "errorRate": pytest.approx(errors / len(rows)),
    }
    assert errors == 1
    assert mini["feedback"] == {
        "positivePercentage": pytest.approx(2 / 3),
        "negativePercentage": pytest.approx(1 / 3),
    }
    assert mini["costs"]["prompt_token"] > 0 and mini["costs"]["completion_token"] > 0
    series = mini["timeSeriesData"]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert len(series["latency"]) == 31
    assert datetime.fromisoformat(series["latency"][-1]["timestamp"]) == today
    assert series["positiveFeedbackCount"][-1]["value"] == 2
    assert series["errorRate"][-1]["value"] == pytest.approx(errors / len(rows))
    assert not any(point["value"] for point in series["errorRate"][:-1])


def test_another_organization_sees_none_of_it(server: InProcessServer, traffic: Traffic):
    other = server.new_organization("compare-other")
    assert compare(traffic, [MINI]).status_code == 200
    refused = compare(traffic, [MINI], key=other)
    assert refused.status_code == 404
    assert refused.json() == {
        "data": None,
        "error": "No data found for model gpt-4o-mini in the last 30 days",
    }


@pytest.mark.parametrize(
    "body",
    [[], [{**MINI, "names": []}], [MINI] * 21, [{**MINI, "extra": 1}], {"parent": "x"}],
)
def test_bad_bodies_are_refused(traffic: Traffic, body: Any):
    response = compare(traffic, body)
    assert response.status_code == 400 and response.json()["data"] is None

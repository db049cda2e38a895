"""Helicone's named metrics (`/v1/metrics/totalRequests`, ...) checked against the rows.

Known traffic goes through the real proxy for a new organization (tests/api/test_metrics.py's
send_traffic); every answer is recomputed in Python from the rows that
/v1/request/query-clickhouse returns, and another organization sees none of it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heliograph.api.jawn_metrics import SERIES_ROUTES, TOTAL_ROUTES
from tests.api.test_metrics import Row, Traffic, bucket_rows, created, quantile, send_traffic
from tests.inprocess import InProcessServer

MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@pytest.fixture(scope="module")
def traffic(server: InProcessServer) -> Traffic:
    """Known traffic in a new organization; two of its rows marked as threats from Germany."""
    traffic = send_traffic(server, server.create_key(f"jawn-{uuid.uuid4()}"))
    marked = ", ".join(f"'{row['request_id']}'" for row in traffic.rows[:2])
    engine = server.app.services.engine  # type: ignore[union-attr]
    server.run(
        engine.execute,
        "ALTER TABLE request_response_rmt UPDATE country_code = 'DE', threat = true "
        f"WHERE request_id IN ({marked}) SETTINGS mutations_sync = 1",
    )
    return traffic


def minute_body(traffic: Traffic, **extra: Any) -> dict[str, Any]:
    return traffic.window(dbIncrement="min", timeZoneDifference=0, **extra)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def test_totals_match_the_rows(traffic: Traffic):
    rows, body = traffic.rows, traffic.window(filter="all")
    n = len(rows)
    prompt = sum(row["prompt_tokens"] or 0 for row in rows)
    completion = sum(row["completion_tokens"] or 0 for row in rows)
    ttfts = [row["time_to_first_token"] for row in rows if (row["time_to_first_token"] or 0) > 0]
    assert ttfts, "the traffic has streams"
    wanted = {
        "totalRequests": n,
        "totalCost": pytest.approx(sum(row["cost"] for row in rows), abs=1e-12),
        "averageLatency": pytest.approx(
            mean([r["delay_ms"] for r in rows if r["delay_ms"] is not None])
        ),
        "averageTimeToFirstToken": pytest.approx(mean(ttfts)),
        "averageTokensPerRequest": {
            "average_prompt_tokens_per_response": pytest.approx(prompt / n),
            "average_completion_tokens_per_response": pytest.approx(completion / n),
            "average_total_tokens_per_response": pytest.approx((prompt + completion) / n),
        },
        "totalThreats": 2,
        "activeUsers": len({row["request_user_id"] for row in rows if row["request_user_id"]}),
    }
    assert set(wanted) == set(TOTAL_ROUTES)
    for name, value in wanted.items():
        assert traffic.metrics(name, body) == value, name
    assert wanted["totalCost"] != 0 and wanted["activeUsers"] == 6


def test_a_filter_narrows_the_totals(traffic: Traffic):
    gpt4o = {"request_response_rmt": {"model": {"equals": "gpt-4o"}}}
    count = sum(1 for row in traffic.rows if row["model"] == "gpt-4o")
    assert traffic.metrics("totalRequests", traffic.window(filter=gpt4o)) == count > 0
    # Helicone's dashboard sends these along; they change nothing.
    extras = {
        "organizationId": str(uuid.uuid4()),
        "limit": 5,
        "sortKey": "x",
        "sortDirection": "asc",
        "dbIncrement": "hour",
        "timeZoneDifference": -60,
    }
    assert traffic.metrics("totalRequests", traffic.window(filter=gpt4o, **extras)) == count


def per_minute(traffic: Traffic, data: list[dict[str, Any]]) -> list[list[Row]]:
    first = datetime.fromisoformat(data[0]["time"])
    start = datetime.fromisoformat(traffic.window()["timeFilter"]["start"])
    assert first == start.replace(second=0), "buckets start on the minute"
    times = [datetime.fromisoformat(point["time"]) for point in data]
    assert times == [first + i * MINUTE for i in range(len(data))], "every bucket, in order"
    return bucket_rows(traffic.rows, first, MINUTE, len(data))


def expected_point(name: str, rows: list[Row]) -> dict[str, Any]:
    prompt = sum(row["prompt_tokens"] or 0 for row in rows)
    completion = sum(row["completion_tokens"] or 0 for row in rows)
    ttfts = [row["time_to_first_token"] for row in rows if (row["time_to_first_token"] or 0) > 0]
    return {
        "requestOverTime": {"count": len(rows)},
        "costOverTime": {"cost": pytest.approx(sum(row["cost"] for row in rows), abs=1e-12)},
        "tokensOverTime": {"prompt_tokens": prompt, "completion_tokens": completion},
        "detailedTokensOverTime": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            **{
                field: sum(row[field] for row in rows)
                for field in ("reasoning_tokens", "prompt_cache_read_tokens")
            },
            "prompt_cache_write_tokens": sum(row["prompt_cache_write_tokens"] for row in rows),
        },
        "latencyOverTime": {"duration": pytest.approx(mean([r["delay_ms"] for r in rows]))},
        "timeToFirstToken": {"ttft": pytest.approx(mean(ttfts))},
        "usersOverTime": {
            "count": len({r["request_user_id"] for r in rows if r["request_user_id"]})
        },
        "threatsOverTime": {"count": None},  # checked apart: threat is not in the rows' answer
        "errorOverTime": {"count": sum(1 for r in rows if not 200 <= r["response_status"] < 300)},
    }[name]


@pytest.mark.parametrize("name", sorted(SERIES_ROUTES))
def test_series_match_the_rows_bucket_by_bucket(traffic: Traffic, name: str):
    data = traffic.metrics(name, minute_body(traffic))
    per_bucket = per_minute(traffic, data)
    assert sum(1 for rows in per_bucket if not rows) > 0, "empty buckets are there, as zeros"
    for point, rows in zip(data, per_bucket, strict=True):
        wanted = expected_point(name, rows)
        if name == "threatsOverTime":
            continue
        assert {k: point[k] for k in wanted} == wanted, point["time"]
    if name == "threatsOverTime":
        assert sum(point["count"] for point in data) == 2


def test_grouped_series_hold_only_pairs_with_requests(traffic: Traffic):
    status = traffic.metrics("requestStatusOverTime", minute_body(traffic))

    def pairs(key: str) -> Counter[tuple[datetime, Any]]:
        return Counter(
            (created(row).replace(second=0, microsecond=0), row[key]) for row in traffic.rows
        )

    got = Counter({(datetime.fromisoformat(p["time"]), p["status"]): p["count"] for p in status})
    assert got == pairs("response_status")
    usage = traffic.metrics("modelUsageOverTime", minute_body(traffic))
    got = Counter(
        {(datetime.fromisoformat(p["time"]), p["model"]): p["request_count"] for p in usage}
    )
    assert got == pairs("model")
    tokens = sum(p["total_tokens"] for p in usage)
    assert tokens == sum(row["total_tokens"] for row in traffic.rows) > 0


@pytest.mark.parametrize(("metric", "field"), [("latency", "delay_ms"), ("prompt_tokens", None)])
def test_quantiles_per_bucket(traffic: Traffic, metric: str, field: str | None):
    data = traffic.metrics("quantiles", minute_body(traffic, metric=metric))
    for point, rows in zip(data, per_minute(traffic, data), strict=True):
        values = [row[field or metric] for row in rows if row[field or metric] is not None]
        for level, name in ((0.75, "p75"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")):
            assert point[name] == (quantile(values, level) or 0), (point["time"], name)
    assert any(row["prompt_tokens"] is None for row in traffic.rows), "a row without tokens"
    totals = traffic.metrics("quantiles", minute_body(traffic, metric="total_tokens"))
    assert max(point["p99"] for point in totals) == max(r["total_tokens"] for r in traffic.rows)


def test_models_country_and_request_count(traffic: Traffic):
    by_model = Counter(row["model"] for row in traffic.rows)
    models = traffic.metrics("models", traffic.window(offset=0, limit=2))
    assert [(m["model"], m["total_requests"]) for m in models] == sorted(
        by_model.items(), key=lambda item: (-item[1], item[0])
    )[:2]
    for entry in models:
        rows = [row for row in traffic.rows if row["model"] == entry["model"]]
        assert entry["total_tokens"] == sum(row["total_tokens"] for row in rows)
        assert entry["cost"] == pytest.approx(sum(row["cost"] for row in rows), abs=1e-12)
    rest = traffic.metrics("models", traffic.window(offset=2, limit=100))
    assert len(models) + len(rest) == len(by_model)
    assert traffic.metrics("country", traffic.window(offset=0, limit=10)) == [
        {"country": "DE", "total_requests": 2}
    ]
    assert traffic.metrics("requestCount", {"filter": "all"}) == len(traffic.rows)
    cached = sum(1 for row in traffic.rows if row["cache_enabled"])
    assert traffic.metrics("requestCount", {"filter": "all", "isCached": True}) == cached == 3


ROUTES = [
    *TOTAL_ROUTES,
    *SERIES_ROUTES,
    "modelUsageOverTime",
    "requestStatusOverTime",
    "quantiles",
    "models",
    "country",
    "requestCount",
]


def body_for(traffic: Traffic, name: str) -> dict[str, Any]:
    if name in TOTAL_ROUTES:
        return traffic.window()
    if name in ("models", "country"):
        return traffic.window(offset=0, limit=100)
    if name == "requestCount":
        return {"filter": "all"}
    if name == "quantiles":
        return minute_body(traffic, metric="latency")
    return minute_body(traffic)


def is_empty(answer: Any) -> bool:
    """0, [], a dict of zeros, or buckets holding nothing but zeros."""
    if isinstance(answer, dict):
        return not any(value for key, value in answer.items() if key != "time")
    if isinstance(answer, list):
        return all(is_empty(point) for point in answer)
    return answer == 0


@pytest.mark.parametrize("name", ROUTES)
def test_another_organization_sees_none_of_it(server: InProcessServer, traffic: Traffic, name):
    other = server.new_organization("jawn-other")
    body = body_for(traffic, name)
    mine, theirs = traffic.metrics(name, body), traffic.metrics(name, body, key=other)
    assert not is_empty(mine), "the traffic shows in the owner's answer"
    assert is_empty(theirs), theirs


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dbIncrement": "week"}, "dbIncrement"),
        ({"timeZoneDifference": 5000}, "timeZoneDifference"),
        ({"filter": {"request_response_rmt": {"nope": {"equals": 1}}}}, "filter"),
        ({"groupBy": "model"}, "groupBy"),
        ({"timeFilter": {"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"}}, "end"),
    ],
)
def test_bad_bodies_are_refused_in_helicones_envelope(traffic: Traffic, body, message):
    response = traffic.post("/v1/metrics/requestOverTime", {**traffic.window(), **body})
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and message in response.json()["error"]


def test_too_many_buckets_is_a_400(traffic: Traffic):
    now = datetime.now(UTC)
    window = {"start": "2020-01-01T00:00:00Z", "end": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    response = traffic.post(
        "/v1/metrics/costOverTime", {"timeFilter": window, "dbIncrement": "min"}
    )
    assert response.status_code == 400 and "5000" in response.json()["error"]

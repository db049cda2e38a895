"""The metrics API over HTTP, checked against the logged rows themselves.

Each test sends known traffic through the real proxy for a fresh organization (so nothing
else lands in its aggregates), reads the rows back with /v1/request/query-clickhouse, and
recomputes every metric in Python: counts, sums, rates, and percentiles with the definition
the API documents (quantilesExact: the value at index floor(level x n) of the sorted values).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from heliograph.api.metrics_models import Metrics
from tests.inprocess import InProcessServer

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"
ADDITIVE = (
    "request_count",
    "error_count",
    "total_cost",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cache_hits",
    "cache_savings",
    "rate_limited_count",
)
FLOATS = ("error_rate", "total_cost", "cache_hit_rate", "cache_savings")
Row = dict[str, Any]


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@dataclass
class Traffic:
    server: InProcessServer
    key: str
    start: datetime
    rows: list[Row] = field(default_factory=list)
    rate_limited: set[str] = field(default_factory=set)  # ids the limiter refused

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        with self.server.api(key or self.key) as client:
            return client.post(path, json=body)

    def metrics(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        response = self.post(f"/v1/metrics/{path}", body, key)
        assert response.status_code == 200, response.text
        assert response.json()["error"] is None
        return response.json()["data"]

    def query_rows(self, filter_node: Any) -> list[Row]:
        response = self.post("/v1/request/query-clickhouse", {"filter": filter_node, "limit": 1000})
        assert response.status_code == 200, response.text
        return list(response.json()["data"])

    def window(self, **extra: Any) -> dict[str, Any]:
        end = datetime.now(UTC) + timedelta(minutes=30)
        return {"timeFilter": {"start": iso(self.start), "end": iso(end)}, **extra}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def created(row: Row) -> datetime:
    return datetime.strptime(row["request_created_at"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


def _call(
    traffic_server: InProcessServer,
    key: str,
    *,
    user: str | None = None,
    environment: str | None = None,
    model: str = "gpt-4o-mini",
    behaviour: str | None = None,
    stream: bool = False,
    content: str = "How bright is a heliograph?",
    **headers: str,
) -> httpx.Response:
    sent = {"Helicone-Auth": f"Bearer {key}", **headers}
    if user is not None:
        sent["Helicone-User-Id"] = user
    if environment is not None:
        sent["Helicone-Property-Environment"] = environment
    if behaviour is not None:
        sent["x-fake-behaviour"] = behaviour
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
    if stream:
        body["stream"] = True
    return traffic_server.request(
        "POST", "/openai/v1/chat/completions", headers=sent, json=body, timeout=30
    )


def send_traffic(server: InProcessServer, key: str) -> Traffic:
    """15 calls: successes, errors, streams, another provider, cache hits, a rate limit."""
    traffic = Traffic(server, key, datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30))
    responses = [
        _call(server, key, user="alice", environment="production", behaviour="delay_ms=10"),
        _call(server, key, user="alice", environment="production", behaviour="delay_ms=40"),
        _call(server, key, user="bob", environment="staging", behaviour="words=50"),
        _call(server, key, user="bob", environment="production", model="gpt-4o"),
        _call(server, key, user="carol", environment="staging", behaviour="status=500"),
        _call(server, key, model="gpt-4o", behaviour="status=400"),
        # A delay: an instant fake stream's first token can come within the same millisecond.
        _call(
            server, key, user="alice", environment="Production", stream=True, behaviour="delay_ms=5"
        ),
        _call(server, key, user="carol", model="gpt-4o", stream=True, behaviour="delay_ms=30"),
        _call(server, key),  # no user, no property
    ]
    responses.append(
        server.request(
            "POST",
            "/anthropic/v1/messages",
            headers={
                "Helicone-Auth": f"Bearer {key}",
                "Helicone-User-Id": "dave",
                "Helicone-Property-Environment": "production",
                "x-api-key": "sk-ant-provider-key",
                "anthropic-version": "2023-06-01",
            },
            json={
                "model": "claude-3-5-sonnet-20241022",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "Signal with a mirror"}],
            },
            timeout=30,
        )
    )
    cached = f"cache me {uuid.uuid4()}"
    for _ in range(3):  # a miss, then two hits
        responses.append(
            _call(server, key, user="erin", content=cached, **{"Helicone-Cache-Enabled": "true"})
        )
    assert [r.headers["helicone-cache"] for r in responses[-3:]] == ["MISS", "HIT", "HIT"]
    policy = {"Helicone-RateLimit-Policy": "1;w=60;s=user"}
    admitted = _call(server, key, user="frank", **policy)
    refused = _call(server, key, user="frank", **policy)
    assert (admitted.status_code, refused.status_code) == (200, 429)
    traffic.rate_limited.add(refused.headers["helicone-id"])
    responses += [admitted, refused]
    ids = [r.headers["helicone-id"] for r in responses]
    for request_id in ids:
        server.wait_for_request(request_id, key)
    traffic.rows = traffic.query_rows("all")
    assert sorted(row["request_id"] for row in traffic.rows) == sorted(ids)
    return traffic


@pytest.fixture
def traffic(server: InProcessServer) -> Traffic:
    """Known traffic in a new organization (every new org key starts with no rows)."""
    return send_traffic(server, server.create_key(f"metrics-{uuid.uuid4()}"))


def quantile(values: list[int], level: float) -> float | None:
    """ClickHouse's quantileExact: the element at floor(level x n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(int(level * len(ordered)), len(ordered) - 1)])


def expected(rows: list[Row], traffic: Traffic) -> dict[str, Any]:
    """Every metric, from the rows as /v1/request/query-clickhouse returns them."""
    by_id = {row["request_id"]: row for row in traffic.rows}
    n = len(rows)
    errors = sum(1 for row in rows if not 200 <= row["response_status"] <= 299)
    prompt = sum(row["prompt_tokens"] or 0 for row in rows)
    completion = sum(row["completion_tokens"] or 0 for row in rows)
    latencies = [row["delay_ms"] for row in rows if row["delay_ms"] is not None]
    ttfts = [
        row["time_to_first_token"]
        for row in rows
        if row["time_to_first_token"] is not None and row["cache_reference_id"] == ZERO_UUID
    ]
    hits = [row for row in rows if row["cache_reference_id"] != ZERO_UUID]
    metrics = {
        "request_count": n,
        "error_count": errors,
        "error_rate": errors / n if n else 0.0,
        "total_cost": sum(row["cost"] for row in rows),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cache_hits": len(hits),
        "cache_hit_rate": len(hits) / n if n else 0.0,
        # A hit is logged at cost 0 and keeps what it would have cost: the original's cost.
        "cache_savings": sum(by_id[hit["cache_reference_id"]]["cost"] for hit in hits),
        "distinct_users": len({row["request_user_id"] for row in rows if row["request_user_id"]}),
        "rate_limited_count": sum(1 for row in rows if row["request_id"] in traffic.rate_limited),
    }
    for level, suffix in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        metrics[f"latency_{suffix}"] = quantile(latencies, level)
        metrics[f"ttft_{suffix}"] = quantile(ttfts, level)
    return metrics


def assert_metrics(actual: dict[str, Any], wanted: dict[str, Any], where: str = "") -> None:
    got = {name: actual[name] for name in wanted}
    for name in set(FLOATS) & set(wanted):
        assert got.pop(name) == pytest.approx(wanted[name], rel=1e-9, abs=1e-12), f"{where}{name}"
    assert got == {k: v for k, v in wanted.items() if k not in FLOATS}, where


def assert_sums(parts: list[dict[str, Any]], whole: dict[str, Any]) -> None:
    for name in ADDITIVE:
        assert sum(part[name] for part in parts) == pytest.approx(whole[name], abs=1e-9), name


def bucket_rows(rows: list[Row], first: datetime, step: timedelta, count: int) -> list[list[Row]]:
    found: list[list[Row]] = [[] for _ in range(count)]
    for row in rows:
        moment = created(row).replace(microsecond=0)  # a row's bucket follows its whole second
        found[(moment - first) // step].append(row)
    return found


def test_overview_matches_the_rows(traffic: Traffic):
    overview = traffic.metrics("overview", traffic.window())
    assert_metrics(overview, expected(traffic.rows, traffic))
    assert set(overview) == set(Metrics.model_fields)
    # The traffic exercised every metric, so a metric stuck at zero would have failed above.
    assert overview["error_count"] == 3 and overview["cache_hits"] == 2
    assert overview["rate_limited_count"] == 1 and overview["cache_savings"] > 0
    assert overview["ttft_p50"] is not None and overview["distinct_users"] == 6
    assert overview["total_cost"] > 0 and overview["latency_p99"] >= overview["latency_p50"]


def test_the_window_is_half_open_and_epoch_milliseconds_work(traffic: Traffic):
    first = min(traffic.rows, key=created)
    at_first = created(first)
    after_first = traffic.metrics(
        "overview",
        {
            "timeFilter": {
                "startTimeUnixMs": at_first.timestamp() * 1000 + 1,
                "endTimeUnixMs": (at_first + timedelta(hours=1)).timestamp() * 1000,
            }
        },
    )
    later = [row for row in traffic.rows if created(row) > at_first]
    assert_metrics(after_first, expected(later, traffic))
    up_to_first = traffic.metrics(
        "overview", {"timeFilter": {"start": iso(traffic.start), "end": iso(at_first)}}
    )
    assert up_to_first["request_count"] == 0, "the end of the window is exclusive"
    all_time = {"timeFilter": {"start": "0001-01-01T00:00:00Z", "endTimeUnixMs": 1e300}}
    assert_metrics(traffic.metrics("overview", all_time), expected(traffic.rows, traffic))


def test_buckets_match_the_rows_and_sum_to_the_totals(traffic: Traffic):
    body = traffic.window()
    data = traffic.metrics("over-time", body)
    assert data["increment"] == "minute", "about an hour: minute buckets"
    buckets = data["buckets"]
    first = datetime.fromisoformat(buckets[0]["time"])
    start = datetime.fromisoformat(body["timeFilter"]["start"])
    end = datetime.fromisoformat(body["timeFilter"]["end"])
    assert first == start.replace(second=0, microsecond=0)
    times = [datetime.fromisoformat(b["time"]) for b in buckets]
    assert times == [first + timedelta(minutes=i) for i in range(len(buckets))]
    assert times[-1] < end <= times[-1] + timedelta(minutes=1)
    per_bucket = bucket_rows(traffic.rows, first, timedelta(minutes=1), len(buckets))
    for bucket, rows in zip(buckets, per_bucket, strict=True):
        assert_metrics(bucket, expected(rows, traffic), where=f"{bucket['time']}: ")
    assert sum(1 for rows in per_bucket if not rows) > 0, "empty buckets are there, as zeros"
    assert_sums(buckets, traffic.metrics("overview", body))


def test_day_buckets_start_at_local_midnight(traffic: Traffic):
    now = datetime.now(UTC)
    window = {"start": iso(now - timedelta(days=3)), "end": iso(now + timedelta(days=1))}
    # Helicone's spellings: dbIncrement, timeZoneDifference (India: UTC+5:30 -> -330).
    body = {"timeFilter": window, "dbIncrement": "day", "timeZoneDifference": -330}
    data = traffic.metrics("over-time", body)
    assert (data["increment"], data["timezoneDifference"]) == ("day", -330)
    local = timezone_of(-330)
    times = [datetime.fromisoformat(b["time"]) for b in data["buckets"]]
    assert all(t.astimezone(local).time() == datetime.min.time() for t in times)
    assert len(times) in (4, 5)
    per_bucket = bucket_rows(traffic.rows, times[0], timedelta(days=1), len(times))
    for bucket, rows in zip(data["buckets"], per_bucket, strict=True):
        assert_metrics(bucket, expected(rows, traffic), where=f"{bucket['time']}: ")
    assert_sums(data["buckets"], traffic.metrics("overview", {"timeFilter": window}))


def timezone_of(difference_minutes: int) -> timezone:
    return timezone(-timedelta(minutes=difference_minutes))


def group_key(kind: Any) -> Callable[[Row], str]:
    if kind == "model":
        return lambda row: str(row["model"])
    if kind == "provider":
        return lambda row: str(row["provider"])
    if kind == "user":
        return lambda row: str(row["request_user_id"] or "")
    if kind == "status":
        return lambda row: str(row["response_status"])
    name = kind["property"].lower()
    return lambda row: next(
        (v for k, v in row["request_properties"].items() if k.lower() == name), ""
    )


@pytest.mark.parametrize(
    "group_by", ["model", "provider", "user", "status", {"property": "environment"}]
)
def test_breakdown_groups_match_the_rows_and_sum_to_the_totals(traffic: Traffic, group_by: Any):
    body = traffic.window(groupBy=group_by, limit=1000)
    data = traffic.metrics("breakdown", body)
    key_of = group_key(group_by)
    rows_of: dict[str, list[Row]] = {}
    for row in traffic.rows:
        rows_of.setdefault(key_of(row), []).append(row)
    assert data["group_count"] == len(rows_of) == len(data["groups"]) > 1
    for group in data["groups"]:
        assert_metrics(group, expected(rows_of[group["key"]], traffic), where=f"{group['key']}: ")
    order = [(-len(rows), key) for key, rows in rows_of.items()]
    assert [g["key"] for g in data["groups"]] == [key for _, key in sorted(order)]
    assert_sums(data["groups"], traffic.metrics("overview", traffic.window()))


def test_breakdown_top_n_by_a_chosen_metric(traffic: Traffic):
    by_model: dict[str, list[Row]] = {}
    for row in traffic.rows:
        by_model.setdefault(row["model"], []).append(row)
    cost = {model: expected(rows, traffic)["total_cost"] for model, rows in by_model.items()}
    cheapest = traffic.metrics(
        "breakdown", traffic.window(groupBy="model", sortBy="total_cost", order="asc", limit=2)
    )
    assert [g["key"] for g in cheapest["groups"]] == sorted(cost, key=lambda m: (cost[m], m))[:2]
    assert cheapest["group_count"] == len(by_model)
    slowest = traffic.metrics(
        "breakdown", traffic.window(groupBy="user", sortBy="latency_p99", limit=1)
    )["groups"][0]
    p99 = {
        user: expected(rows, traffic)["latency_p99"]
        for user, rows in group_rows(traffic.rows, group_key("user")).items()
    }
    assert slowest["latency_p99"] == max(p99.values())
    assert slowest["key"] == min(u for u, v in p99.items() if v == max(p99.values()))


def group_rows(rows: list[Row], key_of: Callable[[Row], str]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(key_of(row), []).append(row)
    return grouped


def test_series_per_model_for_a_cost_chart(traffic: Traffic):
    body = traffic.window(groupBy="model", sortBy="total_cost", limit=2, increment="minute")
    data = traffic.metrics("over-time", body)
    by_model = group_rows(traffic.rows, group_key("model"))
    cost = {model: expected(rows, traffic)["total_cost"] for model, rows in by_model.items()}
    top = sorted(cost, key=lambda m: (-cost[m], m))[:2]
    assert [g["key"] for g in data["groups"]] == top
    first = datetime.fromisoformat(data["buckets"][0]["time"])
    for group in data["groups"]:
        rows = by_model[group["key"]]
        assert_metrics(group["totals"], expected(rows, traffic), where=f"{group['key']}: ")
        assert len(group["buckets"]) == len(data["buckets"])
        per_bucket = bucket_rows(rows, first, timedelta(minutes=1), len(group["buckets"]))
        for bucket, in_bucket in zip(group["buckets"], per_bucket, strict=True):
            assert_metrics(bucket, expected(in_bucket, traffic), where=f"{group['key']}: ")
    per_bucket = bucket_rows(traffic.rows, first, timedelta(minutes=1), len(data["buckets"]))
    for bucket, rows in zip(data["buckets"], per_bucket, strict=True):
        assert_metrics(bucket, expected(rows, traffic))


def test_asking_for_some_metrics_returns_just_those(traffic: Traffic):
    chosen = ["total_cost", "latency_p90", "distinct_users"]
    wanted = expected(traffic.rows, traffic)
    overview = traffic.metrics("overview", traffic.window(metrics=chosen))
    assert set(overview) == set(chosen)
    assert_metrics(overview, {name: wanted[name] for name in chosen})
    users = group_rows(traffic.rows, group_key("user"))
    ranked = traffic.metrics(
        "breakdown", traffic.window(groupBy="user", sortBy="request_count", metrics=["cache_hits"])
    )
    assert [set(g) for g in ranked["groups"]] == [{"key", "cache_hits"}] * len(ranked["groups"])
    by_count = sorted(users, key=lambda u: (-len(users[u]), u))[: len(ranked["groups"])]
    assert [g["key"] for g in ranked["groups"]] == by_count, "ranked on a metric not returned"
    assert [g["cache_hits"] for g in ranked["groups"]] == [
        expected(users[u], traffic)["cache_hits"] for u in by_count
    ]
    chart = traffic.metrics(
        "over-time", traffic.window(groupBy="user", sortBy="total_cost", metrics=["total_cost"])
    )
    assert all(set(b) == {"time", "total_cost"} for b in chart["buckets"])
    assert all(set(g["totals"]) == {"total_cost"} for g in chart["groups"])
    assert sum(b["total_cost"] for b in chart["buckets"]) == pytest.approx(wanted["total_cost"])


def test_a_filter_narrows_every_endpoint_alike(traffic: Traffic):
    node = {
        "left": {"request_response_rmt": {"model": {"equals": "gpt-4o-mini"}}},
        "operator": "or",
        "right": {"request_response_rmt": {"properties": {"environment": {"equals": "staging"}}}},
    }
    rows = traffic.query_rows(node)
    assert 0 < len(rows) < len(traffic.rows)
    wanted = expected(rows, traffic)
    assert_metrics(traffic.metrics("overview", traffic.window(filter=node)), wanted)
    series = traffic.metrics("over-time", traffic.window(filter=node))
    first = datetime.fromisoformat(series["buckets"][0]["time"])
    per_bucket = bucket_rows(rows, first, timedelta(minutes=1), len(series["buckets"]))
    for bucket, in_bucket in zip(series["buckets"], per_bucket, strict=True):
        assert_metrics(bucket, expected(in_bucket, traffic))
    groups = traffic.metrics("breakdown", traffic.window(filter=node, groupBy="user", limit=1000))
    by_user = group_rows(rows, group_key("user"))
    assert {g["key"] for g in groups["groups"]} == set(by_user)
    for group in groups["groups"]:
        assert_metrics(group, expected(by_user[group["key"]], traffic))


def test_another_organization_sees_zeros(traffic: Traffic):
    other = traffic.server.create_key(f"metrics-other-{uuid.uuid4()}")
    body = traffic.window(groupBy="model")
    overview = traffic.metrics("overview", {"timeFilter": body["timeFilter"]}, key=other)
    assert overview == {
        name: (None if name.startswith(("latency_", "ttft_")) else 0)
        for name in Metrics.model_fields
    }
    assert traffic.metrics("breakdown", body, key=other) == {"groups": [], "group_count": 0}
    series = traffic.metrics("over-time", body, key=other)
    assert series["groups"] == [] and len(series["buckets"]) > 60
    assert all(b["request_count"] == 0 and b["total_cost"] == 0 for b in series["buckets"])
    mine = traffic.metrics("overview", {"timeFilter": body["timeFilter"]})
    assert mine["request_count"] == len(traffic.rows), "the other key did not hide the rows"


WINDOW = {"start": "2025-01-01T00:00:00Z", "end": "2025-01-02T00:00:00Z"}


@pytest.mark.parametrize(
    ("path", "body", "names"),
    [
        ("overview", {}, "timeFilter"),
        ("overview", {"timeFilter": {"start": "2025-01-01T00:00:00Z"}}, "timeFilter.end"),
        ("overview", {"timeFilter": {"start": "yesterday", "end": "now"}}, "timeFilter.start"),
        (
            "overview",
            {"timeFilter": {"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"}},
            "end must not be before start",
        ),
        (
            "overview",
            {"timeFilter": {**WINDOW, "startTimeUnixMs": 1}},
            "start or startTimeUnixMs",
        ),
        ("overview", {"timeFilter": WINDOW, "filter": {"nope": {}}}, "filter: "),
        ("overview", {"timeFilter": WINDOW, "filters": "all"}, "filters"),
        ("over-time", {"timeFilter": WINDOW, "increment": "week"}, "increment"),
        ("over-time", {"timeFilter": WINDOW, "timezoneDifference": 5000}, "timezoneDifference"),
        (
            "over-time",
            {"timeFilter": {"start": "2000-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}},
            "increment",
        ),
        (
            "over-time",
            {"timeFilter": WINDOW, "increment": "minute", "groupBy": "model", "limit": 50},
            "limit",
        ),
        ("over-time", {"timeFilter": WINDOW, "sortBy": "happiness"}, "sortBy"),
        ("overview", {"timeFilter": WINDOW, "metrics": ["total_cost", "joy"]}, "metrics"),
        ("overview", {"timeFilter": WINDOW, "metrics": []}, "metrics"),
        ("breakdown", {"timeFilter": WINDOW}, "groupBy"),
        ("breakdown", {"timeFilter": WINDOW, "groupBy": "country"}, "groupBy"),
        ("breakdown", {"timeFilter": WINDOW, "groupBy": {"property": ""}}, "groupBy"),
        ("breakdown", {"timeFilter": WINDOW, "groupBy": "model", "limit": 0}, "limit"),
        ("breakdown", {"timeFilter": WINDOW, "groupBy": "model", "order": "up"}, "order"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    server: InProcessServer, path: str, body: dict[str, Any], names: str
):
    with server.api() as client:
        response = client.post(f"/v1/metrics/{path}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None
    assert names in response.json()["error"]


def test_a_key_is_required(server: InProcessServer):
    response = server.request("POST", "/v1/metrics/overview", json={"timeFilter": WINDOW})
    assert response.status_code == 401 and response.json()["data"] is None


def test_docs_describe_every_endpoint_field_and_metric():
    text = DOCS.read_text()
    for path in ("/v1/metrics/overview", "/v1/metrics/over-time", "/v1/metrics/breakdown"):
        assert f"POST {path}" in text
    documented = set(re.findall(r"`([a-zA-Z_0-9]+)`", text))
    missing = set(Metrics.model_fields) - documented
    assert not missing, f"undocumented metrics: {sorted(missing)}"
    for name in ("timeFilter", "filter", "increment", "timezoneDifference", "groupBy", "sortBy"):
        assert name in documented, name

"""Evals and the dashboard score series, checked against numbers computed here from what was sent.

Each test scores requests of its own new organization, so the org-wide numbers are exactly
the test's own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.api.test_scores import FEEDBACK, OK, feedback, logged_call, post, score, stored
from tests.inprocess import InProcessServer

IST = timezone(timedelta(hours=5, minutes=30))  # timeZoneDifference -330


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def new_org(server: InProcessServer) -> str:
    return server.create_key(f"evals-{uuid.uuid4()}")


def created_at(server: InProcessServer, request_id: str, key: str) -> datetime:
    text = stored(server, request_id, key)["request_created_at"]
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window(hours_before: int = 2, hours_after: int = 1) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "start": (now - timedelta(hours=hours_before)).isoformat(),
        "end": (now + timedelta(hours=hours_after)).isoformat(),
    }


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.json()["error"] is None
    return response.json()["data"]


def expected_eval(
    name: str, values: list[tuple[datetime, float]], time_filter: dict[str, str]
) -> dict[str, Any]:
    """Helicone's Eval for `values` (created time, value), with hourly buckets."""
    hours = []
    hour = hour_of(datetime.fromisoformat(time_filter["start"]))
    while hour <= datetime.fromisoformat(time_filter["end"]):
        hours.append(hour)
        hour += timedelta(hours=1)
    per_hour: dict[datetime, list[float]] = defaultdict(list)
    for moment, value in values:
        per_hour[hour_of(moment)].append(value)
    numbers = [value for _, value in values]
    return {
        "name": name,
        "averageScore": sum(numbers) / len(numbers) if numbers else 0,
        "minScore": min(numbers, default=0),
        "maxScore": max(numbers, default=0),
        "count": len(numbers),
        "overTime": [{"date": iso(h), "count": len(per_hour[h])} for h in hours],
        "averageOverTime": [
            {"date": iso(h), "value": sum(per_hour[h]) / len(per_hour[h]) if per_hour[h] else 0}
            for h in hours
        ],
    }


def test_eval_names_and_summaries_match_what_was_sent(server: InProcessServer):
    key = new_org(server)
    group_a = {"Helicone-Property-Group": "a"}
    r1, r2 = logged_call(server, key, **group_a), logged_call(server, key, **group_a)
    r3, r4 = logged_call(server, key), logged_call(server, key)
    assert score(server, r1, {"accuracy": 90, "relevance": 3}, key).json() == OK
    assert score(server, r2, {"accuracy": 70}, key).json() == OK
    assert score(server, r3, {"accuracy": 85, "relevance": 5}, key).json() == OK
    assert feedback(server, r4, True, key).json() == OK
    assert score(server, r2, {"accuracy": 75}, key).json() == OK  # only the newest value counts

    names = ["accuracy", FEEDBACK, "relevance"]
    with server.api(key) as client:
        assert data(client.get("/v1/evals/scores")) == names

    sent = {
        "accuracy": [(r1, 90), (r2, 75), (r3, 85)],
        FEEDBACK: [(r4, 1)],
        "relevance": [(r1, 3), (r3, 5)],
    }
    at = {rid: created_at(server, rid, key) for rid in (r1, r2, r3, r4)}

    def expected(name: str, ids: set[str], time_filter: dict[str, str]) -> dict[str, Any]:
        values = [(at[rid], value) for rid, value in sent[name] if rid in ids]
        return expected_eval(name, values, time_filter)

    time_filter = window()
    evals = data(post(server, "/v1/evals/query", {"filter": "all", "timeFilter": time_filter}, key))
    assert evals == [expected(name, {r1, r2, r3, r4}, time_filter) for name in names]

    # A filter narrows the values; a score with nothing left still appears, with zeros.
    only_a = {"request_response_rmt": {"properties": {"Group": {"equals": "a"}}}}
    body = {"filter": only_a, "timeFilter": time_filter}
    evals = data(post(server, "/v1/evals/query", body, key))
    assert evals == [expected(name, {r1, r2}, time_filter) for name in names]
    assert evals[1]["count"] == 0 and evals[1]["averageScore"] == 0

    paged = data(post(server, "/v1/evals/query", {**body, "offset": 1, "limit": 1}, key))
    assert [item["name"] for item in paged] == [FEEDBACK]

    # A window that ends before the requests: every count is zero.
    past = {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T02:30:00Z"}
    evals = data(post(server, "/v1/evals/query", {"filter": "all", "timeFilter": past}, key))
    assert [e["count"] for e in evals] == [0, 0, 0]
    assert [p["date"] for p in evals[0]["overTime"]] == [
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T01:00:00.000Z",
        "2024-01-01T02:00:00.000Z",
    ]


def test_evals_mix_integer_and_fractional_scores(server: InProcessServer):
    key = new_org(server)
    # Dyadic fractions: sums are exact in any order, so whole answers compare exactly.
    sent: list[dict[str, Any]] = [
        {"accuracy": 90, "similarity": 0.9999999999999998},
        {"accuracy": 0.75, "similarity": 0.87},
        {"accuracy": 62.5, "similarity": 1},
        {"accuracy": True},
    ]
    ids = []
    for scores in sent:
        request_id = logged_call(server, key)
        assert score(server, request_id, scores, key).json() == OK
        ids.append(request_id)
    at = {rid: created_at(server, rid, key) for rid in ids}
    values: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for rid, scores in zip(ids, sent, strict=True):
        for name, value in scores.items():
            values[name].append((rid, int(value) if isinstance(value, bool) else value))

    time_filter = window()
    evals = data(post(server, "/v1/evals/query", {"filter": "all", "timeFilter": time_filter}, key))
    assert [e["name"] for e in evals] == ["accuracy", "similarity"]
    accuracy = [(at[rid], value) for rid, value in values["accuracy"]]
    assert evals[0] == expected_eval("accuracy", accuracy, time_filter)
    assert (evals[0]["minScore"], evals[0]["maxScore"]) == (0.75, 90)
    similarity = [(at[rid], value) for rid, value in values["similarity"]]
    want = expected_eval("similarity", similarity, time_filter)
    got = evals[1]
    assert got["averageScore"] == pytest.approx(want["averageScore"], rel=1e-15)
    assert (got["minScore"], got["maxScore"], got["count"]) == (0.87, 1, 3)
    assert got["overTime"] == want["overTime"]
    assert [p["value"] for p in got["averageOverTime"]] == pytest.approx(
        [p["value"] for p in want["averageOverTime"]], rel=1e-15
    )

    # Filtering on a fractional score narrows every score of the matching requests.
    close = {"request_response_rmt": {"scores": {"similarity": {"gte": 0.9}}}}
    narrowed = data(
        post(server, "/v1/evals/query", {"filter": close, "timeFilter": time_filter}, key)
    )
    kept = {ids[0], ids[2]}
    assert narrowed[0] == expected_eval(
        "accuracy", [(at[rid], v) for rid, v in values["accuracy"] if rid in kept], time_filter
    )
    assert (narrowed[1]["minScore"], narrowed[1]["maxScore"]) == (0.9999999999999998, 1)

    body = {"filter": "all", "timeFilter": time_filter}
    histograms = data(post(server, "/v1/evals/score-distributions/query", body, key))
    assert _close(
        histograms,
        [
            {"name": name, "distribution": equal_width_bins([v for _, v in values[name]])}
            for name in ("accuracy", "similarity")
        ],
    )

    dashboard = {"timeFilter": time_filter, "dbIncrement": "hour", "timeZoneDifference": 0}
    rows = data(post(server, "/v1/dashboard/scores/query", dashboard, key))
    per_bucket: dict[tuple[str, str], list[float]] = defaultdict(list)
    for name, pairs in values.items():
        for rid, value in pairs:
            per_bucket[(iso(hour_of(at[rid])), name)].append(value)
    assert [(r["created_at_trunc"], r["score_key"]) for r in rows] == sorted(per_bucket)
    assert [r["score_sum"] for r in rows] == pytest.approx(
        [sum(v) / len(v) for _, v in sorted(per_bucket.items())], rel=1e-15
    )


def equal_width_bins(values: list[float], bins: int = 10) -> list[dict[str, float]]:
    low, high = min(values), max(values)
    if low == high:
        return [{"lower": low, "upper": high, "value": len(values)}]
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return [
        {"lower": low + i * width, "upper": low + (i + 1) * width, "value": counts[i]}
        for i in range(bins)
    ]


def test_score_distributions_are_equal_width_histograms(server: InProcessServer):
    key = new_org(server)
    quality = [0, 10, 10, 45, 100, 100, 100]
    for value in quality:
        request_id = logged_call(server, key)
        assert score(server, request_id, {"quality": value, "constant": 7}, key).json() == OK

    body = {"filter": "all", "timeFilter": window()}
    histograms = data(post(server, "/v1/evals/score-distributions/query", body, key))
    expected = [
        {"name": "constant", "distribution": equal_width_bins([7] * len(quality))},
        {"name": "quality", "distribution": equal_width_bins(quality)},
    ]
    assert _close(histograms, expected)
    counts = [b["value"] for b in histograms[1]["distribution"]]
    assert counts == [1, 2, 0, 0, 1, 0, 0, 0, 0, 3]

    narrowed = {
        "filter": {"request_response_rmt": {"scores": {"quality": {"gte": 50}}}},
        "timeFilter": window(),
    }
    histograms = data(post(server, "/v1/evals/score-distributions/query", narrowed, key))
    assert histograms[1] == {
        "name": "quality",
        "distribution": [{"lower": 100, "upper": 100, "value": 3}],
    }


def _close(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Histograms equal, bin edges compared with a float tolerance."""
    assert [h["name"] for h in actual] == [h["name"] for h in expected]
    for got, want in zip(actual, expected, strict=True):
        assert len(got["distribution"]) == len(want["distribution"])
        for got_bin, want_bin in zip(got["distribution"], want["distribution"], strict=True):
            assert got_bin["value"] == want_bin["value"]
            assert got_bin["lower"] == pytest.approx(want_bin["lower"])
            assert got_bin["upper"] == pytest.approx(want_bin["upper"])
    return True


def test_dashboard_scores_over_time_averages_per_local_day(server: InProcessServer):
    key = new_org(server)
    sent = [{"accuracy": 60, "tone": 1}, {"accuracy": 80}, {"accuracy": 95, "tone": 0}]
    per_bucket: dict[tuple[str, str], list[int]] = defaultdict(list)
    for scores in sent:
        request_id = logged_call(server, key)
        assert score(server, request_id, scores, key).json() == OK
        local = created_at(server, request_id, key).astimezone(IST)
        day = iso(local.replace(hour=0, minute=0, second=0, microsecond=0))
        for name, value in scores.items():
            per_bucket[(day, name)].append(value)

    body = {
        "timeFilter": window(hours_before=30, hours_after=30),
        "userFilter": "all",
        "dbIncrement": "day",
        "timeZoneDifference": -330,
    }
    rows = data(post(server, "/v1/dashboard/scores/query", body, key))
    assert rows == [
        {"created_at_trunc": day, "score_key": name, "score_sum": sum(v) / len(v)}
        for (day, name), v in sorted(per_bucket.items())
    ]

    since_1900 = {**body, "timeFilter": {**body["timeFilter"], "start": "1900-01-01T00:00:00Z"}}
    assert data(post(server, "/v1/dashboard/scores/query", since_1900, key)) == rows

    narrowed = {**body, "userFilter": {"request_response_rmt": {"scores": {"tone": {"equals": 0}}}}}
    rows = data(post(server, "/v1/dashboard/scores/query", narrowed, key))
    assert {(row["score_key"], row["score_sum"]) for row in rows} == {("accuracy", 95), ("tone", 0)}


def test_post_eval_records_a_score(server: InProcessServer):
    key = new_org(server)
    request_id = logged_call(server, key)
    response = post(server, f"/v1/evals/{request_id}", {"name": "helpfulness", "score": 4}, key)
    assert response.status_code == 201 and response.json() == OK
    assert stored(server, request_id, key)["scores"] == {"helpfulness": 4}
    with server.api(key) as client:
        assert data(client.get("/v1/evals/scores")) == ["helpfulness"]

    for body, named in [
        ({"score": 4}, "name is required"),
        ({"name": "x"}, "score is required"),
        ({"name": "", "score": 4}, "name must be a non-empty string"),
        ({"name": "x", "score": "4"}, "score must be a number"),
        ({"name": "x", "score": True}, "score must be a number"),
        ({"name": FEEDBACK, "score": 0.5}, f"{FEEDBACK} is the feedback rating"),
        ([], "Body must be a JSON object"),
    ]:
        refused = post(server, f"/v1/evals/{request_id}", body, key)
        assert refused.status_code == 400 and named in refused.json()["error"], body
    assert stored(server, request_id, key)["scores"] == {"helpfulness": 4}

    # A fractional eval score (a Ragas metric) is stored as sent; NaN is refused by name.
    ragas = {"name": "faithfulness", "score": 0.9999999999999998}
    assert post(server, f"/v1/evals/{request_id}", ragas, key).json() == OK
    with server.api(key) as client:
        refused = client.post(
            f"/v1/evals/{request_id}",
            content='{"name": "faithfulness", "score": NaN}',
            headers={"Content-Type": "application/json"},
        )
    assert refused.status_code == 400
    assert refused.json()["error"] == "score must be a finite number"
    both = {"helpfulness": 4, "faithfulness": 0.9999999999999998}
    assert stored(server, request_id, key)["scores"] == both

    good = {"name": "x", "score": 1}
    assert post(server, f"/v1/evals/{uuid.uuid4()}", good, key).status_code == 404
    assert post(server, "/v1/evals/not-a-uuid", good, key).status_code == 400
    intruder = new_org(server)
    assert post(server, f"/v1/evals/{request_id}", good, intruder).status_code == 404
    assert stored(server, request_id, key)["scores"] == both


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/v1/evals/query", {"filter": "all"}, "timeFilter"),
        ("/v1/evals/query", {"timeFilter": {"start": "2024-01-01", "end": "x"}}, "filter"),
        (
            "/v1/evals/query",
            {"filter": "all", "timeFilter": {"start": "2024-02-01", "end": "2024-01-01"}},
            "start is after end",
        ),
        (
            "/v1/evals/query",
            {"filter": "all", "timeFilter": {"start": "2020-01-01", "end": "2024-01-01"}},
            "10000 'hour' buckets",
        ),
        (
            "/v1/evals/score-distributions/query",
            {"filter": "all", "timeFilter": {"start": "yesterday", "end": "2024-01-01"}},
            "Not a timestamp",
        ),
        (
            "/v1/evals/score-distributions/query",
            {"filter": "all", "timeFilter": {"start": 1e300, "end": 2e300}},
            "out of range",
        ),
        (
            "/v1/evals/query",
            {
                "filter": "all",
                "timeFilter": {"start": "2024-01-01", "end": "2024-01-02"},
                "limit": -1,
            },
            "limit",
        ),
        (
            "/v1/evals/score-distributions/query",
            {
                "filter": {"request_response_rmt": {"nope": {"equals": 1}}},
                "timeFilter": {"start": "2024-01-01", "end": "2024-01-02"},
            },
            "request_response_rmt.nope",
        ),
        (
            "/v1/dashboard/scores/query",
            {"timeFilter": {"start": "2024-01-01", "end": "2024-01-02"}, "dbIncrement": "decade"},
            "dbIncrement",
        ),
        (
            "/v1/dashboard/scores/query",
            {
                "timeFilter": {"start": "2024-01-01", "end": "2024-01-02"},
                "dbIncrement": "day",
                "timeZoneDifference": 5000,
            },
            "timeZoneDifference",
        ),
    ],
)
def test_bad_query_bodies_are_400(server: InProcessServer, path: str, body: Any, named: str):
    response = post(server, path, body)
    assert response.status_code == 400
    assert response.json()["data"] is None and named in response.json()["error"]


def test_another_organization_sees_none_of_the_scores(server: InProcessServer):
    owner = new_org(server)
    request_id = logged_call(server, owner)
    assert score(server, request_id, {"secret_metric": 42}, owner).json() == OK
    other = new_org(server)
    time_filter = window()
    with server.api(other) as client:
        assert data(client.get("/v1/evals/scores")) == []
    query = {"filter": "all", "timeFilter": time_filter}
    assert data(post(server, "/v1/evals/query", query, other)) == []
    assert data(post(server, "/v1/evals/score-distributions/query", query, other)) == []
    dashboard = {"timeFilter": time_filter, "dbIncrement": "hour", "timeZoneDifference": 0}
    assert data(post(server, "/v1/dashboard/scores/query", dashboard, other)) == []
    with server.api(owner) as client:
        assert data(client.get("/v1/evals/scores")) == ["secret_metric"]

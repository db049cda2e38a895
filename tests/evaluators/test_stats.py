"""`GET /v1/evaluator/{id}/stats` and `/experiments` in-process, checked against numbers
computed here: scores the evaluator wrote online and scores under its name on requests
logged days ago (async logging with a start time) make the average, the count, the trend of
the last 7 days against the 7 before, the buckets 20 wide and the daily series of 30 days;
other score names and other organizations' scores are left out; the experiments listed are
those the evaluator is attached to; another organization's evaluator is a 404."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import (
    attach,
    create_evaluator,
    in_process_app,
    logged_call,
    wait_for_score,
)
from tests.experiments.helpers import call, prompt_experiment
from tests.inprocess import InProcessServer

DAY_S = 86_400
LIVE = {"Helicone-Property-Scored": "yes"}
QUALITY_CODE = "def evaluate(request, response):\n    return 70\n"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "evaluators-stats")


def _logged_days_ago(server: InProcessServer, key: str, days: float) -> str:
    """A request logged through the manual logger, started `days` ago."""
    request_id = str(uuid.uuid4())
    start = int(time.time() - days * DAY_S)
    body = {
        "providerRequest": {
            "url": "custom-model-nopath",
            "json": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            "meta": {"Helicone-Request-Id": request_id},
        },
        "providerResponse": {"headers": {}, "status": 200, "json": {"choices": []}},
        "timing": {
            "startTime": {"seconds": start, "milliseconds": 0},
            "endTime": {"seconds": start + 1, "milliseconds": 0},
        },
    }
    with server.api(key) as client:
        assert client.post("/custom/v1/log", json=body).status_code == 200
    server.wait_for_request(request_id, key)
    return request_id


def _scored(server: InProcessServer, key: str, request_id: str, scores: dict[str, int]) -> None:
    with server.api(key) as client:
        answer = client.post(f"/v1/request/{request_id}/score", json={"scores": scores})
    assert answer.status_code == 201, answer.text


def _day(server: InProcessServer, key: str, request_id: str) -> str:
    created: str = server.wait_for_request(request_id, key)["request_created_at"]
    return created[:10]


def _get(server: InProcessServer, key: str, path: str) -> httpx.Response:
    with server.api(key) as client:
        return client.get(path)


def _stats(server: InProcessServer, key: str, evaluator_id: str) -> dict[str, Any]:
    answer = _get(server, key, f"/v1/evaluator/{evaluator_id}/stats")
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"] is None
    stats: dict[str, Any] = answer.json()["data"]
    return stats


def test_stats_come_from_the_scores_under_the_evaluator_name(server: InProcessServer):
    key, other = server.new_organization("stats"), server.new_organization("stats-other")
    quality = create_evaluator(
        server, key, name="Quality", scoring_type="PYTHON", code_template=QUALITY_CODE
    )
    assert quality["score_name"] == "quality"
    attach(server, key, quality["id"], propertyFilters=[{"key": "Scored", "value": "yes"}])
    live = logged_call(server, key, **LIVE)
    assert wait_for_score(server, key, live, "quality") == 70  # written by the evaluator
    written = {40.0: 10, 10.0: 40, 9.0: 50, 2.0: 90}  # days ago: score
    requests = {days: _logged_days_ago(server, key, days) for days in written}
    for days, request_id in requests.items():
        _scored(server, key, request_id, {"quality": written[days], "other_name": 5})
    foreign = logged_call(server, other)
    _scored(server, other, foreign, {"quality": 1})

    expected_series = [
        {"date": _day(server, key, requests[days]), "value": written[days]}
        for days in (10.0, 9.0, 2.0)
    ] + [{"date": _day(server, key, live), "value": 70}]
    assert _stats(server, key, quality["id"]) == {
        "averageScore": (10 + 40 + 50 + 90 + 70) / 5,
        "totalUses": 5,
        "recentTrend": "up",  # (90 + 70) / 2 this week against (40 + 50) / 2 the week before
        "scoreDistribution": [
            {"range": "0-20", "count": 1},
            {"range": "40-60", "count": 2},
            {"range": "60-80", "count": 1},
            {"range": "80-100", "count": 1},
        ],
        "timeSeriesData": expected_series,
    }


def test_a_trend_down_and_an_evaluator_without_scores(server: InProcessServer):
    key = server.new_organization("stats")
    judge = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "{{outputBody}}"}]}
    helpful = create_evaluator(
        server, key, name="Is Helpful?", scoring_type="LLM-BOOLEAN", llm_template=judge
    )
    assert _stats(server, key, helpful["id"]) == {
        "averageScore": 0,
        "totalUses": 0,
        "recentTrend": "stable",
        "scoreDistribution": [],
        "timeSeriesData": [],
    }
    name = helpful["score_name"]
    assert name == "is_helpful_-hcone-bool"
    _scored(server, key, _logged_days_ago(server, key, 0.5), {name: True})
    stats = _stats(server, key, helpful["id"])
    assert (stats["totalUses"], stats["recentTrend"]) == (1, "stable")  # no week before
    for days, verdict in ((8.0, True), (1.0, False)):
        _scored(server, key, _logged_days_ago(server, key, days), {name: verdict})
    stats = _stats(server, key, helpful["id"])
    assert (stats["totalUses"], stats["recentTrend"]) == (3, "down")  # 1/2 against 1
    assert stats["averageScore"] == pytest.approx(2 / 3)
    assert stats["scoreDistribution"] == [{"range": "0-20", "count": 3}]


def test_the_experiments_an_evaluator_scores(server: InProcessServer):
    key = server.new_organization("stats")
    mine = create_evaluator(
        server, key, name="Mine", scoring_type="PYTHON", code_template=QUALITY_CODE
    )
    path = f"/v1/evaluator/{mine['id']}/experiments"
    assert _get(server, key, path).json() == {"data": [], "error": None}
    _, experiment, _, _ = prompt_experiment(server, key)
    _, unscored, _, _ = prompt_experiment(server, key)
    call(
        server, key, "POST", f"/v2/experiment/{experiment}/evaluators", {"evaluatorId": mine["id"]}
    )
    listed = _get(server, key, path).json()
    assert listed["error"] is None
    [found] = listed["data"]
    created = datetime.fromisoformat(found.pop("experiment_created_at"))
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)
    assert found == {"experiment_id": experiment, "experiment_name": "briefer"}
    assert unscored != experiment


def test_another_organizations_evaluator_is_not_found(server: InProcessServer):
    key, other = server.new_organization("stats"), server.new_organization("stats-other")
    mine = create_evaluator(
        server, key, name="Mine", scoring_type="PYTHON", code_template=QUALITY_CODE
    )
    for path in ("stats", "experiments"):
        for evaluator_id in (mine["id"], str(uuid.uuid4()), "not-an-id"):
            asker = other if evaluator_id == mine["id"] else key
            answer = _get(server, asker, f"/v1/evaluator/{evaluator_id}/{path}")
            assert answer.status_code == 404, answer.text
            assert answer.json() == {"data": None, "error": "Evaluator not found"}

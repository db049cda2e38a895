"""Online evaluation in-process: an evaluator attached with a filter and a sample rate scores
exactly the matching, sampled requests in the background through the score path; its
judge's calls are never evaluated; a failing evaluator fails its jobs, visibly; another
organization's traffic is never touched; /healthz shows the backlog."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from heliograph.evaluators.online_config import sampled
from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import (
    attach,
    create_evaluator,
    health,
    in_process_app,
    judge_template,
    logged_call,
    scores_of,
    wait_for_score,
)
from tests.inprocess import InProcessServer

PRODUCTION = {"Helicone-Property-Environment": "production"}


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "evaluators-online")


def _drained(server: InProcessServer, timeout: float = 30.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while (stats := health(server))["pending"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stats["pending"] == 0, stats
    return stats


def _judge_rows(server: InProcessServer, key: str) -> list[dict[str, object]]:
    body = {"filter": {"properties": {"Helicone-Evaluator": {"equals": "Helpful"}}}, "limit": 1000}
    with server.api(key) as client:
        answer = client.post("/v1/request/query-clickhouse", json=body)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, object]] = answer.json()["data"]
    return rows


def test_a_judge_scores_matching_traffic_and_is_never_judged_itself(server: InProcessServer):
    key, other = server.new_organization("online"), server.new_organization("online-other")
    evaluator = create_evaluator(
        server, key, name="Helpful", scoring_type="LLM-RANGE", llm_template=judge_template("8")
    )
    attach(
        server,
        key,
        evaluator["id"],
        propertyFilters=[{"key": "environment", "value": "production"}],
    )
    matching = [logged_call(server, key, **PRODUCTION) for _ in range(4)]
    unmatched = logged_call(server, key)
    foreign = logged_call(server, other, **PRODUCTION)
    for request_id in matching:
        assert wait_for_score(server, key, request_id, "helpful") == 8
    _drained(server)
    assert "helpful" not in scores_of(server, key, unmatched)
    assert "helpful" not in scores_of(server, other, foreign)
    deadline = time.monotonic() + 10  # the judge calls' rows are logged as any call's are
    while len(judged := _judge_rows(server, key)) < len(matching) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(judged) == len(matching)  # one judge call each; none of them judged in turn
    time.sleep(0.5)  # what a judge row would have queued, had it been queued, has run by now
    _drained(server)
    assert all("helpful" not in scores_of(server, key, str(row["request_id"])) for row in judged)


def test_a_sample_rate_scores_exactly_the_sampled_requests(server: InProcessServer):
    key = server.new_organization("online")
    code = "def evaluate(request, response):\n    return len(response['choices'])\n"
    evaluator = create_evaluator(
        server, key, name="Choices", scoring_type="PYTHON", code_template=code
    )
    attach(server, key, evaluator["id"], sampleRate=30)
    calls = [logged_call(server, key) for _ in range(30)]
    chosen = [r for r in calls if sampled(r, 30)]
    assert 0 < len(chosen) < len(calls)
    for request_id in chosen:
        assert wait_for_score(server, key, request_id, "choices") == 1
    _drained(server)
    for request_id in set(calls) - set(chosen):
        assert "choices" not in scores_of(server, key, request_id)


def test_a_failing_evaluator_fails_its_jobs_and_says_so(server: InProcessServer):
    key = server.new_organization("online")
    code = "def evaluate(request, response):\n    raise RuntimeError('broken')\n"
    evaluator = create_evaluator(
        server, key, name="Broken", scoring_type="PYTHON", code_template=code
    )
    attach(server, key, evaluator["id"])
    failed_before = health(server)["failed"]
    request_id = logged_call(server, key)
    deadline = time.monotonic() + 30
    while health(server)["failed"] == failed_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert health(server)["failed"] == failed_before + 1
    assert "broken" not in scores_of(server, key, request_id)


def test_a_deleted_evaluator_stops_scoring(server: InProcessServer):
    key = server.new_organization("online")
    code = "def evaluate(request, response):\n    return 5\n"
    evaluator = create_evaluator(
        server, key, name="Gone", scoring_type="PYTHON", code_template=code
    )
    attach(server, key, evaluator["id"])
    first = logged_call(server, key)
    assert wait_for_score(server, key, first, "gone") == 5
    with server.api(key) as client:
        assert client.delete(f"/v1/evaluator/{evaluator['id']}").status_code == 200
    later = logged_call(server, key)
    _drained(server)
    assert "gone" not in scores_of(server, key, later)

"""An experiment end to end in-process: two versions over 50 rows (one row missing its
input), run through the gateway, the comparison table and summary, evaluator scores, the
cost estimate, and promoting the winner."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import create_evaluator, in_process_app, judge_template
from tests.experiments.helpers import call, prompt_experiment, wait_until_idle
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "experiments")


def test_two_versions_over_fifty_rows_with_one_failing_row(server: InProcessServer):
    key = server.create_key(server.new_organization("experiments"))
    prompt_id, experiment, original, edited = prompt_experiment(server, key)
    rows = [{"topic": f"topic-{i}"} for i in range(49)] + [{"other": "no topic"}]
    call(
        server, key, "POST", f"/v2/experiment/{experiment}/add-manual-rows-batch", {"inputs": rows}
    )
    assert call(server, key, "GET", f"/v2/experiment/{experiment}/input-keys") == ["topic"]

    estimate = call(server, key, "POST", f"/v2/experiment/{experiment}/estimate", {})
    assert [e["promptVersionId"] for e in estimate] == [original, edited]
    assert all(e["calls"] == 50 and e["completionTokens"] == 50 * 50 for e in estimate)
    assert all(e["cost"] > 0 and e["promptTokens"] > 0 for e in estimate)

    run = call(server, key, "POST", f"/v2/experiment/{experiment}/run", {"concurrency": 8})
    assert run == {"queued": 100}
    progress = wait_until_idle(server, key, experiment, logged=100)
    assert (progress["total"], progress["done"], progress["failed"]) == (100, 98, 2)
    assert progress["versions"][original]["calls"] == 50
    assert progress["versions"][edited]["succeeded"] == 49
    assert progress["cost"] > 0

    table = call(server, key, "GET", f"/v2/experiment/{experiment}/results?limit=100")
    assert [row["inputs"] for row in table] == rows
    first = table[0]["outputs"]
    assert first[original]["call"]["output"] == "first on topic-0"
    assert first[edited]["call"]["output"] == "second on topic-0"
    assert first[edited]["call"]["cost"] > 0 and first[edited]["call"]["latency_ms"] >= 0
    failing = table[-1]["outputs"][edited]
    assert failing["status"] == "failed" and "topic" in failing["error"]
    assert failing["error"].startswith("HTTP 400")

    # Running again queues only the failed cells (they fail again: the input is missing).
    again = call(server, key, "POST", f"/v2/experiment/{experiment}/run", {})
    assert again == {"queued": 2}
    wait_until_idle(server, key, experiment)

    call(server, key, "POST", f"/v2/experiment/{experiment}/promote", {"promptVersionId": edited})
    production = call(
        server, key, "POST", "/v1/prompt-2025/query/production-version", {"promptId": prompt_id}
    )
    assert production["id"] == edited


def test_outputs_are_scored_by_the_experiments_evaluators(server: InProcessServer):
    key = server.create_key(server.new_organization("experiment-scores"))
    _, experiment, original, edited = prompt_experiment(server, key)
    evaluator = create_evaluator(
        server, key, name="Helpful", scoring_type="LLM-RANGE", llm_template=judge_template("4")
    )
    call(
        server,
        key,
        "POST",
        f"/v2/experiment/{experiment}/evaluators",
        {"evaluatorId": evaluator["id"]},
    )
    listed = call(server, key, "GET", f"/v2/experiment/{experiment}/evaluators")
    assert [e["id"] for e in listed] == [evaluator["id"]]
    rows = [{"topic": "cats"}, {"topic": "dogs"}]
    call(
        server, key, "POST", f"/v2/experiment/{experiment}/add-manual-rows-batch", {"inputs": rows}
    )
    call(server, key, "POST", f"/v2/experiment/{experiment}/run", {})
    wait_until_idle(server, key, experiment, logged=4)

    # Each output is scored just after it is recorded, once its call's row is stored.
    deadline = time.monotonic() + 60
    path = f"/v2/experiment/{experiment}/should-run-evaluators"
    while call(server, key, "GET", path) is not False:
        assert time.monotonic() < deadline, "the outputs were not all scored"
        time.sleep(0.2)
    name = evaluator["score_name"]
    scores = call(server, key, "GET", f"/v2/experiment/{experiment}/{edited}/scores")
    assert scores[name] == {"value": 4.0, "valueType": "number", "max": 4.0, "min": 4.0}
    table = call(server, key, "GET", f"/v2/experiment/{experiment}/results")
    request_id = table[0]["outputs"][original]["request_id"]
    one = call(server, key, "GET", f"/v2/experiment/{experiment}/{request_id}/{name}")
    assert one["value"] == 4


def test_a_run_takes_a_model_and_keeps_to_its_rate_limit_policy(server: InProcessServer):
    key = server.create_key(server.new_organization("experiment-limits"))
    _, experiment, original, _ = prompt_experiment(server, key)
    rows = [{"topic": f"limit-{i}"} for i in range(3)]
    call(
        server, key, "POST", f"/v2/experiment/{experiment}/add-manual-rows-batch", {"inputs": rows}
    )
    estimate = call(
        server, key, "POST", f"/v2/experiment/{experiment}/estimate", {"model": "gpt-4o"}
    )
    assert {e["model"] for e in estimate} == {"gpt-4o"}
    body = {
        "promptVersionIds": [original],
        "model": "gpt-4o",
        "rateLimitPolicy": "2;w=60",
    }
    assert call(server, key, "POST", f"/v2/experiment/{experiment}/run", body) == {"queued": 3}
    deadline = time.monotonic() + 30
    while (progress := call(server, key, "GET", f"/v2/experiment/{experiment}/progress"))[
        "done"
    ] < 2:
        assert time.monotonic() < deadline, progress
        time.sleep(0.1)
    time.sleep(1)
    # Two calls fit the window; the third waits (pending, not failed) for the next one.
    progress = call(server, key, "GET", f"/v2/experiment/{experiment}/progress")
    assert (progress["done"], progress["pending"], progress["failed"]) == (2, 1, 0)
    table = call(server, key, "GET", f"/v2/experiment/{experiment}/results")
    assert table[0]["outputs"][original]["call"]["model"] == "gpt-4o"
    call(server, key, "POST", f"/v2/experiment/{experiment}/stop")
    assert call(server, key, "GET", f"/v2/experiment/{experiment}/progress")["status"] == "idle"


def test_a_malformed_rate_limit_policy_is_refused_before_the_run(server: InProcessServer):
    key = server.create_key(server.new_organization("experiment-bad-policy"))
    _, experiment, _, _ = prompt_experiment(server, key)
    with server.api(key) as client:
        answer = client.post(f"/v2/experiment/{experiment}/run", json={"rateLimitPolicy": "lots"})
    assert answer.status_code == 400 and "Rate limit quota" in answer.json()["error"]
    assert call(server, key, "GET", f"/v2/experiment/{experiment}/progress")["total"] == 0

"""Every writer of scores reaches the evals views: `POST /v1/request/{id}/score`, feedback,
`POST /v1/evals/{id}`, an online evaluator and an experiment's evaluator, in names,
summaries and histograms. Its own app: experiments and judges call through the gateway,
which needs the server's OpenAI key (tests/evaluators/helpers.py's GATEWAY_ENV).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from heliograph.mock_provider import FakeProvider
from tests.api.test_evals import data, window
from tests.api.test_scores import FEEDBACK, OK, feedback, logged_call, post, score
from tests.evaluators.helpers import (
    attach,
    create_evaluator,
    in_process_app,
    judge_template,
    wait_for_score,
)
from tests.experiments.helpers import call, prompt_experiment, wait_until_idle
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "evals-sources")


def run_experiment(server: InProcessServer, key: str) -> list[str]:
    """Two versions over two rows, scored by an LLM-RANGE judge answering 4: the outputs."""
    _, experiment, original, edited = prompt_experiment(server, key)
    judge = create_evaluator(
        server, key, name="Experiment", scoring_type="LLM-RANGE", llm_template=judge_template("4")
    )
    path = f"/v2/experiment/{experiment}"
    call(server, key, "POST", f"{path}/evaluators", {"evaluatorId": judge["id"]})
    rows = {"inputs": [{"topic": "cats"}, {"topic": "dogs"}]}
    call(server, key, "POST", f"{path}/add-manual-rows-batch", rows)
    call(server, key, "POST", f"{path}/run", {})
    wait_until_idle(server, key, experiment)
    table = call(server, key, "GET", f"{path}/results")
    return [
        row["outputs"][version]["request_id"] for row in table for version in (original, edited)
    ]


def test_scores_from_every_source_reach_the_views(server: InProcessServer):
    key = server.new_organization("evals-sources")
    by_api, by_feedback, by_eval = (logged_call(server, key) for _ in range(3))
    assert score(server, by_api, {"api_score": 0.25}, key).json() == OK
    assert feedback(server, by_feedback, False, key).json() == OK
    assert (
        post(server, f"/v1/evals/{by_eval}", {"name": "eval_score", "score": 3}, key).json() == OK
    )

    online_only = {"Helicone-Property-Source": "online"}
    code = "def evaluate(request, response):\n    return 2\n"
    online = create_evaluator(server, key, name="Online", scoring_type="PYTHON", code_template=code)
    attach(server, key, online["id"], propertyFilters=[{"key": "Source", "value": "online"}])
    judged = logged_call(server, key, **online_only)
    assert wait_for_score(server, key, judged, "online") == 2

    outputs = run_experiment(server, key)
    assert len(outputs) == 4
    for request_id in outputs:
        assert wait_for_score(server, key, request_id, "experiment") == 4

    expected = {
        "api_score": [0.25],
        FEEDBACK: [0],
        "eval_score": [3],
        "experiment": [4] * len(outputs),
        "online": [2],
    }
    with server.api(key) as client:
        assert data(client.get("/v1/evals/scores")) == sorted(expected)
    body = {"filter": "all", "timeFilter": window()}
    deadline = time.monotonic() + 10
    while True:  # an experiment's scores are written just after its outputs are recorded
        summaries = {e["name"]: e for e in data(post(server, "/v1/evals/query", body, key))}
        if summaries["experiment"]["count"] == len(outputs) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {name: (e["count"], e["averageScore"]) for name, e in summaries.items()} == {
        name: (len(values), sum(values) / len(values)) for name, values in expected.items()
    }
    histograms = data(post(server, "/v1/evals/score-distributions/query", body, key))
    assert {h["name"]: h["distribution"] for h in histograms} == {
        name: [{"lower": values[0], "upper": values[0], "value": len(values)}]
        for name, values in expected.items()
    }

    # The experiment's outputs, found by the filter the views take.
    experiment_only = {"request_response_rmt": {"scores_column": {"equals": "experiment"}}}
    narrowed = {"filter": experiment_only, "timeFilter": window()}
    counts = {e["name"]: e["count"] for e in data(post(server, "/v1/evals/query", narrowed, key))}
    assert counts == {name: len(outputs) if name == "experiment" else 0 for name in expected}

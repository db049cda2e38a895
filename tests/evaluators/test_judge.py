"""LLM-as-judge through the gateway against the fake provider, whose verdict the test
dictates: scored per scoring type, the judge's call logged and costed with the
Helicone-Evaluator property; a judge without a verdict is an error in the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import UPSTREAM_KEY, in_process_app, judge_template
from tests.inprocess import InProcessServer

TEST_INPUT = {"inputBody": '{"question": "2+2?"}', "outputBody": "It is 4."}


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "evaluators-judge")


def _test(
    server: InProcessServer, key: str, kind: str, template: Any, name: str = "Accuracy"
) -> Any:
    body = {
        "evaluatorConfig": {"evaluator_scoring_type": kind, "evaluator_llm_template": template},
        "testInput": TEST_INPUT,
        "evaluatorName": name,
    }
    with server.api(key) as client:
        answer = client.post("/v1/evaluator/llm/test", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.mark.parametrize(
    ("kind", "verdict", "score"),
    [
        ("LLM-RANGE", '{"Accuracy": 7}', 7),
        ("range", '{"score": 0.75}', 0.75),
        ("LLM-CHOICE", "The answer deserves a 3", 3),
        ("LLM-BOOLEAN", '{"Accuracy": true}', 1),
        ("boolean", "false", 0),
    ],
)
def test_the_judges_verdict_is_the_score(
    server: InProcessServer, fake_provider: FakeProvider, kind: str, verdict: str, score: Any
):
    key = server.new_organization("judge")
    before = len(fake_provider.calls)
    result = _test(server, key, kind, judge_template(verdict))
    assert (result["score"], result["error"]) == (score, None)
    [upstream] = [
        c
        for c in fake_provider.calls[before:]
        if c.headers.get("authorization") == f"Bearer {UPSTREAM_KEY}"
    ]
    sent = orjson.loads(upstream.body)
    assert sent["messages"][0]["content"] == 'Rate the answer to {"question": "2+2?"}: It is 4.'
    assert sent["stream"] is False
    row = server.wait_for_request(result["judgeRequestId"], key)
    assert row["properties"] == {"Helicone-Evaluator": "Accuracy"}
    assert row["response_status"] == 200 and row["cost"] > 0


def test_helicones_template_tags_are_filled_and_a_tool_call_verdict_is_read(
    server: InProcessServer,
):
    key = server.new_organization("judge")
    template = judge_template('{"Accuracy": 9}')
    template["messages"][0]["content"] = 'Judge <helicone-prompt-input key="outputBody" />'
    assert _test(server, key, "LLM-RANGE", template)["score"] == 9


@pytest.mark.parametrize(
    ("kind", "verdict", "error"),
    [
        ("LLM-RANGE", "I cannot judge this", "No score in the judge's answer"),
        ("LLM-BOOLEAN", '{"Accuracy": "maybe"}', "A boolean evaluator's judge answered"),
        ("LLM-RANGE", '{"a": 1, "b": 2}', "No score in the judge's answer"),
    ],
)
def test_a_verdict_without_a_score_is_an_error_in_the_answer(
    server: InProcessServer, kind: str, verdict: str, error: str
):
    result = _test(server, server.new_organization("judge"), kind, judge_template(verdict))
    assert result["score"] is None and result["error"].startswith(error)


def test_a_judge_call_the_gateway_refuses_is_an_error_in_the_answer(server: InProcessServer):
    key = server.new_organization("judge")
    result = _test(server, key, "LLM-RANGE", judge_template("7", model="no-such-model/nowhere"))
    assert result["score"] is None
    assert result["error"].startswith("The judge's call failed with HTTP 4")
    with server.api(key) as client:
        bad = client.post(
            "/v1/evaluator/llm/test", json={"evaluatorConfig": {}, "testInput": TEST_INPUT}
        )
    assert bad.status_code == 400 and "evaluator_scoring_type" in bad.json()["error"]

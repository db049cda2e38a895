"""The /v1/evaluator family: create, read, query, update, delete, online evaluators, in
Helicone's envelope; bad bodies refused naming the field; every route organization-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from unittest.mock import ANY

import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import attach, create_evaluator, in_process_app, judge_template
from tests.inprocess import InProcessServer

CODE = "def evaluate(request, response):\n    return 1\n"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "evaluators-api")


def test_an_evaluator_is_created_read_listed_updated_and_deleted(server: InProcessServer):
    key = server.new_organization("evaluators")
    template = judge_template("true")
    created = create_evaluator(
        server, key, name="Is Helpful?", scoring_type="LLM-BOOLEAN", llm_template=template
    )
    assert created == {
        "id": ANY,
        "created_at": ANY,
        "updated_at": ANY,
        "organization_id": ANY,
        "name": "Is Helpful?",
        "scoring_type": "LLM-BOOLEAN",
        "llm_template": template,
        "code_template": None,
        "last_mile_config": None,
        "score_name": "is_helpful_-hcone-bool",
    }
    evaluator_id = created["id"]
    assert str(uuid.UUID(evaluator_id)) == evaluator_id
    with server.api(key) as client:
        assert client.get(f"/v1/evaluator/{evaluator_id}").json() == {
            "data": created,
            "error": None,
        }
        assert client.post("/v1/evaluator/query", json={}).json()["data"] == [created]
        changed = client.put(
            f"/v1/evaluator/{evaluator_id}",
            json={"name": "Python check", "scoring_type": "PYTHON", "code_template": CODE},
        ).json()["data"]
        assert (changed["name"], changed["scoring_type"]) == ("Python check", "PYTHON")
        assert (changed["code_template"], changed["llm_template"]) == (CODE, None)
        assert changed["score_name"] == "python_check"
        kept = client.put(
            f"/v1/evaluator/{evaluator_id}", json={"name": "Renamed", "code_template": None}
        )
        assert kept.json()["data"]["code_template"] == CODE
        assert client.delete(f"/v1/evaluator/{evaluator_id}").json() == {
            "data": None,
            "error": None,
        }
        assert client.get(f"/v1/evaluator/{evaluator_id}").status_code == 404
        assert client.post("/v1/evaluator/query", json={}).json()["data"] == []


def test_the_template_may_be_sent_as_json_text_as_helicones_dashboard_does(server: InProcessServer):
    key = server.new_organization("evaluators")
    created = create_evaluator(
        server,
        key,
        name="Range",
        scoring_type="LLM-RANGE",
        llm_template='{"model": "m", "messages": []}',
    )
    assert created["llm_template"] == {"model": "m", "messages": []}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scoring_type": "PYTHON", "code_template": CODE}, "name: required"),
        ({"name": "!!!", "scoring_type": "PYTHON", "code_template": CODE}, "name: must hold"),
        (
            {"name": "x", "scoring_type": "LLM-SCALE", "llm_template": {}},
            "scoring_type: must be one of",
        ),
        ({"name": "x", "scoring_type": "PYTHON"}, "code_template: required"),
        ({"name": "x", "scoring_type": "PYTHON", "code_template": "a\x00"}, "NUL"),
        ({"name": "x", "scoring_type": "LLM-RANGE"}, "llm_template: required"),
        ({"name": "x", "scoring_type": "LLM-RANGE", "llm_template": "{"}, "not valid JSON"),
        ({"name": "x", "scoring_type": "LLM-RANGE", "llm_template": {"model": "m"}}, "messages"),
        ({"name": "x" * 256, "scoring_type": "PYTHON", "code_template": CODE}, "at most 255"),
        (
            {"name": "x", "scoring_type": "PYTHON", "code_template": "#" * (64 * 1024 + 1)},
            "at most 65536 bytes",
        ),
    ],
)
def test_bad_definitions_are_refused_naming_the_field(
    server: InProcessServer, body: dict[str, object], message: str
):
    with server.api() as client:
        answer = client.post("/v1/evaluator", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["data"] is None and message in answer.json()["error"]


def test_online_evaluators_are_attached_listed_checked_and_removed(server: InProcessServer):
    key = server.new_organization("evaluators")
    evaluator = create_evaluator(server, key, name="py", scoring_type="PYTHON", code_template=CODE)
    path = f"/v1/evaluator/{evaluator['id']}/onlineEvaluators"
    filters = [{"key": "Environment", "value": "production"}]
    online = attach(server, key, evaluator["id"], sampleRate=10, propertyFilters=filters)
    assert online == {
        "id": ANY,
        "evaluator_id": evaluator["id"],
        "config": {"sampleRate": 10, "propertyFilters": filters},
        "created_at": ANY,
    }
    with server.api(key) as client:
        for config, error in [
            ({"sampleRate": 101}, "between 0 and 100"),
            ({"sampleRate": "10"}, "between 0 and 100"),
            ({"propertyFilters": [{"key": 1, "value": "x"}]}, "propertyFilters[0]"),
            ({"propertyFilters": {}}, "propertyFilters"),
        ]:
            refused = client.post(path, json={"config": config})
            assert refused.status_code == 400 and error in refused.json()["error"], refused.text
        assert client.delete(f"{path}/{online['id']}").status_code == 200
        assert client.get(path).json()["data"] == []
        assert client.delete(f"{path}/{online['id']}").status_code == 404


def test_another_organizations_evaluators_are_not_found_on_every_route(server: InProcessServer):
    owner, other = server.new_organization("owner"), server.new_organization("other")
    evaluator = create_evaluator(
        server, owner, name="py", scoring_type="PYTHON", code_template=CODE
    )
    online = attach(server, owner, evaluator["id"])
    one = f"/v1/evaluator/{evaluator['id']}"
    with server.api(other) as client:
        assert client.post("/v1/evaluator/query", json={}).json()["data"] == []
        assert client.get(one).status_code == 404
        assert client.put(one, json={"name": "stolen"}).status_code == 404
        assert client.delete(one).status_code == 404
        assert client.get(f"{one}/onlineEvaluators").status_code == 404
        attached = client.post(f"{one}/onlineEvaluators", json={"config": {}})
        assert attached.status_code == 404
        assert client.delete(f"{one}/onlineEvaluators/{online['id']}").status_code == 404
    with server.api(owner) as client:
        assert client.get(one).json()["data"] == evaluator  # unchanged
        assert [o["id"] for o in client.get(f"{one}/onlineEvaluators").json()["data"]] == [
            online["id"]
        ]
        # An evaluator id from another organization in the path of one's own online evaluator.
        assert (
            client.delete(
                f"/v1/evaluator/{uuid.uuid4()}/onlineEvaluators/{online['id']}"
            ).status_code
            == 404
        )
        assert client.get("/v1/evaluator/not-a-uuid").status_code == 404


def test_a_template_may_hold_any_json_number(server: InProcessServer):
    key = server.new_organization("evaluators")
    template = {**judge_template("7"), "seed": 2**70, "temperature": 1e-300}
    created = create_evaluator(
        server, key, name="Big", scoring_type="LLM-RANGE", llm_template=template
    )
    assert created["llm_template"] == template
    with server.api(key) as client:
        assert client.get(f"/v1/evaluator/{created['id']}").json()["data"] == created

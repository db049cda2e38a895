"""What cannot be assembled is a 400 in OpenAI's error shape naming the problem, reaches no
provider and is logged; the inputs of an assembled call are served by the REST API; calls are
found by prompt and version through the filter language and HQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import Gateway, assembly_app
from tests.prompts.helpers import create_prompt, new_org

TEMPLATE = {
    "model": "gpt-4o-mini",
    "messages": [
        {
            "role": "user",
            "content": "{{hc:company:string}} has {{hc:seats:number}} seats "
            "(trial: {{hc:trial:boolean}})",
        }
    ],
}
INPUTS = {"company": "Acme Corp", "seats": "12", "trial": "yes"}


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "errors")


@pytest.fixture
def gateway(server: InProcessServer, fake_provider: FakeProvider) -> Gateway:
    return Gateway(server, fake_provider, new_org(server, "assembly-errors"))


def _other_org_prompt(gateway: Gateway) -> dict[str, Any]:
    other = new_org(gateway.server, "elsewhere")
    prompt_id, _ = create_prompt(gateway.server, other, body=TEMPLATE)
    return {"prompt_id": prompt_id, "inputs": INPUTS}


CASES: dict[str, tuple[Callable[[str, Gateway], dict[str, Any]], str]] = {
    "missing input": (
        lambda p, g: {"prompt_id": p, "inputs": {"company": "Acme Corp", "trial": True}},
        "Variable 'seats' (number) is missing from inputs",
    ),
    "no inputs": (
        lambda p, g: {"prompt_id": p},
        "Variable 'company' (string) is missing from inputs; Variable 'seats' (number)",
    ),
    "mistyped number": (
        lambda p, g: {"prompt_id": p, "inputs": {**INPUTS, "seats": "many"}},
        "Variable 'seats' is 'number' but got 'many'",
    ),
    "mistyped boolean": (
        lambda p, g: {"prompt_id": p, "inputs": {**INPUTS, "trial": "maybe"}},
        "Variable 'trial' is 'boolean' but got 'maybe'",
    ),
    "inputs not an object": (
        lambda p, g: {"prompt_id": p, "inputs": ["Acme"]},
        "'inputs' must be an object",
    ),
    "unknown prompt": (lambda p, g: {"prompt_id": "zz9zz9"}, "Unknown prompt 'zz9zz9'"),
    "another organization's prompt": (
        lambda p, g: _other_org_prompt(g),
        "Unknown prompt '",
    ),
    "unknown environment": (
        lambda p, g: {"prompt_id": p, "environment": "staging", "inputs": INPUTS},
        "has no version in environment 'staging'",
    ),
    "unknown version": (
        lambda p, g: {"prompt_id": p, "version_id": str(uuid.uuid4()), "inputs": INPUTS},
        "has no version '",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_call_that_cannot_be_assembled_is_a_logged_400(gateway: Gateway, case: str):
    prompt_id, _ = create_prompt(gateway.server, gateway.key, body=TEMPLATE)
    body_of, message = CASES[case]
    body = body_of(prompt_id, gateway)
    answer, request_id, sent = gateway.chat(body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert message in error["message"]
    assert error == {
        "message": error["message"],
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_prompt",
    }
    assert answer.headers["helicone-id"] == request_id
    assert sent == [], "nothing reaches a provider"
    row = gateway.row(request_id)
    assert row["response_status"] == 400
    assert row["response_body"] == {"heliograph_error": error["message"]}
    assert row["request_body"] == body, "the call as it was sent"
    assert row["prompt_id"] == body["prompt_id"]
    # The version asked for, when one was named (an experiment counts its failures).
    assert row["prompt_version"] == body.get("version_id", "")


def test_prompt_id_on_another_endpoint_is_refused(gateway: Gateway):
    prompt_id, _ = create_prompt(gateway.server, gateway.key, body=TEMPLATE)
    body = {"model": "gpt-4o-mini", "input": "hi", "prompt_id": prompt_id}
    answer, request_id, sent = gateway.chat(body, path="/v1/responses")
    assert answer.status_code == 400 and sent == []
    assert "served on /v1/chat/completions only" in answer.json()["error"]["message"]
    assert gateway.row(request_id)["response_status"] == 400


def test_inputs_are_served_and_calls_found_by_prompt_and_version(gateway: Gateway):
    server, key = gateway.server, gateway.key
    prompt_id, version_id = create_prompt(server, key, body=TEMPLATE)
    answer, request_id, sent = gateway.chat({"prompt_id": prompt_id, "inputs": INPUTS})
    assert answer.status_code == 200, answer.text
    assert sent[0].json()["messages"][0]["content"] == "Acme Corp has 12 seats (trial: yes)"
    other, _, _ = gateway.chat(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    )
    assert other.status_code == 200
    gateway.row(request_id)

    inputs = gateway.inputs(prompt_id, version_id, request_id)
    assert inputs.status_code == 200, inputs.text
    assert inputs.json()["data"] == {
        "request_id": request_id,
        "version_id": version_id,
        "inputs": INPUTS,
    }

    for field, value in (("prompt_id", prompt_id), ("prompt_version", version_id)):
        query = {"filter": {"request_response_rmt": {field: {"equals": value}}}, "limit": 10}
        with server.api(key) as client:
            found = client.post("/v1/request/query", json=query)
        assert found.status_code == 200, found.text
        assert [row["request_id"] for row in found.json()["data"]] == [request_id]

    sql = (
        "SELECT request_id, prompt_id, prompt_version, prompt_inputs FROM request_response_rmt "
        f"WHERE prompt_id = '{prompt_id}' AND prompt_version = '{version_id}'"
    )
    with server.api(key) as client:
        rows = client.post("/v1/helicone-sql/execute", json={"sql": sql})
    assert rows.status_code == 200, rows.text
    assert rows.json()["data"]["rows"] == [
        {
            "request_id": request_id,
            "prompt_id": prompt_id,
            "prompt_version": version_id,
            "prompt_inputs": json.dumps(INPUTS, separators=(",", ":")),
        }
    ]


def test_omitting_the_request_omits_its_inputs(gateway: Gateway):
    prompt_id, version_id = create_prompt(gateway.server, gateway.key, body=TEMPLATE)
    omitted = {"Helicone-Omit-Request": "true"}
    answer, request_id, sent = gateway.chat({"prompt_id": prompt_id, "inputs": INPUTS}, omitted)
    assert answer.status_code == 200, answer.text
    assert sent[0].json()["messages"][0]["content"] == "Acme Corp has 12 seats (trial: yes)"
    row = gateway.row(request_id)
    assert row["prompt_version"] == version_id
    assert "Acme" not in json.dumps(row)
    assert gateway.inputs(prompt_id, version_id, request_id, wait_s=0).status_code == 404


def test_another_organization_cannot_read_the_inputs(gateway: Gateway):
    prompt_id, version_id = create_prompt(gateway.server, gateway.key, body=TEMPLATE)
    answer, request_id, _ = gateway.chat({"prompt_id": prompt_id, "inputs": INPUTS})
    assert answer.status_code == 200
    assert gateway.inputs(prompt_id, version_id, request_id).status_code == 200
    stranger = Gateway(gateway.server, gateway.fake, new_org(gateway.server, "stranger"))
    assert stranger.inputs(prompt_id, version_id, request_id, wait_s=0).status_code == 404

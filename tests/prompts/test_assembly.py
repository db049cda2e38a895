"""Prompt assembly on the unified gateway, against the in-process app and the fake provider:
the assembly page's examples byte for byte as the provider receives them, partials before
variables, version selection, tools and response_format, and the log row's prompt fields."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import Gateway, assembly_app
from tests.prompts.helpers import create_prompt, new_org, new_version

# The assembly page's "Parameter Priority" example, as written (its comments dropped).
SAVED = {
    "model": "gpt-4o-mini",
    "temperature": 0.6,
    "max_tokens": 1000,
    "messages": [
        {
            "role": "system",
            "content": "You are a helpful customer support agent for {{hc:company:string}}.",
        },
        {"role": "user", "content": "Hello, I need help with my account."},
    ],
}
RUNTIME = {
    "prompt_id": "abc123",
    "temperature": 0.4,
    "inputs": {"company": "Acme Corp"},
    "messages": [{"role": "user", "content": "Actually, I want to cancel my subscription."}],
}
COMPILED = {
    "model": "gpt-4o-mini",
    "temperature": 0.4,
    "max_tokens": 1000,
    "messages": [
        {"role": "system", "content": "You are a helpful customer support agent for Acme Corp."},
        {"role": "user", "content": "Hello, I need help with my account."},
        {"role": "user", "content": "Actually, I want to cancel my subscription."},
    ],
}


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "assembly")


@pytest.fixture
def gateway(server: InProcessServer, fake_provider: FakeProvider) -> Gateway:
    return Gateway(server, fake_provider, new_org(server, "assembly"))


def _runtime(prompt_id: str, **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(RUNTIME), "prompt_id": prompt_id, **changes}


def test_the_pages_example_reaches_the_provider_byte_for_byte(gateway: Gateway):
    prompt_id, version_id = create_prompt(gateway.server, gateway.key, body=SAVED)
    answer, request_id, sent = gateway.chat(_runtime(prompt_id))
    assert answer.status_code == 200, answer.text
    assert [call.body for call in sent] == [orjson.dumps(COMPILED)]
    row = gateway.row(request_id)
    assert row["request_body"] == COMPILED, "what is stored is what went upstream"
    assert (row["prompt_id"], row["prompt_version"]) == (prompt_id, version_id)
    assert row["response_status"] == 200 and row["request_model"] == "gpt-4o-mini"


def test_the_pages_override_examples(gateway: Gateway):
    saved = {**SAVED, "temperature": 0.8, "max_tokens": 500}
    prompt_id, _ = create_prompt(gateway.server, gateway.key, body=saved)
    base = {"prompt_id": prompt_id, "inputs": {"company": "Acme Corp"}}
    json_format = {"type": "json_object"}
    for override in ({"temperature": 0.2}, {"max_tokens": 1500}, {"response_format": json_format}):
        answer, _, sent = gateway.chat({**base, **override})
        assert answer.status_code == 200, answer.text
        (upstream,) = sent
        expected = {**saved, **override}
        expected["messages"] = COMPILED["messages"][:2]
        assert upstream.body == orjson.dumps(expected)


def test_the_model_may_come_from_the_call_and_messages_may_be_left_out(gateway: Gateway):
    prompt_id, _ = create_prompt(gateway.server, gateway.key, body=SAVED)
    answer, _, sent = gateway.chat(
        {"prompt_id": prompt_id, "model": "gpt-4o", "inputs": {"company": "Initech"}}
    )
    assert answer.status_code == 200, answer.text
    body = sent[0].json()
    assert body["model"] == "gpt-4o" and len(body["messages"]) == 2
    assert body["messages"][0]["content"].endswith("for Initech.")


def test_partials_resolve_before_variables_as_the_page_shows(gateway: Gateway):
    server, key = gateway.server, gateway.key
    system = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant for {{hc:company:string}}."}
        ],
    }
    sys_prompt, _ = create_prompt(server, key, name="sysPrompt", body=system)
    main = {
        "model": "gpt-4o-mini",
        "messages": [
            {
                "role": "system",
                "content": f"{{{{hcp:{sys_prompt}:0}}}} Always be {{{{hc:tone:string}}}}.",
            }
        ],
    }
    main_id, _ = create_prompt(server, key, name="main", body=main)
    inputs = {"company": "Acme Corp", "tone": "professional"}
    answer, _, sent = gateway.chat({"prompt_id": main_id, "inputs": inputs})
    assert answer.status_code == 200, answer.text
    final = "You are a helpful assistant for Acme Corp. Always be professional."
    assert sent[0].body == orjson.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": final}]}
    )


def test_the_pages_variable_control_example(gateway: Gateway):
    server, key = gateway.server, gateway.key
    greeting_text = "Hello {{hc:customer_name:string}}, welcome to {{hc:company:string}}!"
    greeting = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": greeting_text}]}
    greeting_id, _ = create_prompt(server, key, name="greeting", body=greeting)
    main_text = f"{{{{hcp:{greeting_id}:0}}}} How can you help me?"
    main = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": main_text}]}
    main_id, _ = create_prompt(server, key, name="main", body=main)
    inputs = {"customer_name": "Alice", "company": "TechCorp"}
    answer, _, sent = gateway.chat({"prompt_id": main_id, "inputs": inputs})
    assert answer.status_code == 200, answer.text
    content = sent[0].json()["messages"][0]["content"]
    assert content == "Hello Alice, welcome to TechCorp! How can you help me?"


def test_an_input_is_never_read_as_a_partial(gateway: Gateway):
    """Variables are filled after partials: text an input brings in stays as it is."""
    server, key = gateway.server, gateway.key
    secret_id, _ = create_prompt(
        server, key, body={"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "S"}]}
    )
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "{{hc:q:string}}"}]}
    prompt_id, _ = create_prompt(server, key, body=body)
    tag = f"{{{{hcp:{secret_id}:0}}}}"
    answer, _, sent = gateway.chat({"prompt_id": prompt_id, "inputs": {"q": tag}})
    assert answer.status_code == 200, answer.text
    assert sent[0].json()["messages"] == [{"role": "user", "content": tag}]


def test_a_partial_names_its_environment(gateway: Gateway):
    server, key = gateway.server, gateway.key
    part = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "production"}]}
    part_id, first = create_prompt(server, key, body=part)
    staged = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "staged"}]}
    new_version(server, key, part_id, first, environment="staging", body=staged)
    text = f"{{{{hcp:{part_id}:0:staging}}}} / {{{{hcp:{part_id}:0}}}}"
    main = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": text}]}
    main_id, _ = create_prompt(server, key, body=main)
    answer, _, sent = gateway.chat({"prompt_id": main_id})
    assert answer.status_code == 200, answer.text
    assert sent[0].json()["messages"][0]["content"] == "staged / production"


def test_version_selection(gateway: Gateway):
    """Environment first, then version_id, else production; a promotion applies at once."""
    server, key = gateway.server, gateway.key
    prompt_id, v0 = create_prompt(server, key, body=_saying("v0"))
    v1 = new_version(server, key, prompt_id, v0, environment="staging", body=_saying("v1"))
    v2 = new_version(server, key, prompt_id, v0, body=_saying("v2"))

    def said(**fields: Any) -> tuple[str, str]:
        answer, request_id, sent = gateway.chat({"prompt_id": prompt_id, **fields})
        assert answer.status_code == 200, answer.text
        return sent[0].json()["messages"][0]["content"], gateway.row(request_id)["prompt_version"]

    assert said() == ("v0", v0)
    assert said(environment="staging") == ("v1", v1)
    assert said(version_id=v2) == ("v2", v2)
    assert said(version_id=v2, environment="staging") == ("v1", v1)
    with server.api(key) as client:
        promoted = client.post(
            "/v1/prompt-2025/update/environment",
            json={"promptId": prompt_id, "promptVersionId": v2, "environment": "production"},
        )
    assert promoted.status_code == 200, promoted.text
    assert said() == ("v2", v2), "the cached production version is forgotten on promotion"


def _saying(text: str) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": text}]}


def test_tools_and_response_format_come_from_the_saved_body_with_typed_variables(
    gateway: Gateway,
):
    tool = {
        "type": "function",
        "function": {
            "name": "{{hc:tool_name:string}}",
            "parameters": {"type": "object", "properties": {}, "maxItems": "{{hc:limit:number}}"},
        },
    }
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "{{hc:schema:string}}", "strict": True},
    }
    saved = {**_saying("hi"), "tools": [tool], "response_format": schema}
    prompt_id, _ = create_prompt(gateway.server, gateway.key, body=saved)
    extra_tool = {"type": "function", "function": {"name": "extra", "parameters": {}}}
    inputs = {"tool_name": "lookup", "limit": 5, "schema": "answer"}
    answer, _, sent = gateway.chat(
        {"prompt_id": prompt_id, "inputs": inputs, "tools": [extra_tool]}
    )
    assert answer.status_code == 200, answer.text
    body = sent[0].json()
    assert body["tools"][0]["function"]["name"] == "lookup"
    assert body["tools"][0]["function"]["parameters"]["maxItems"] == 5, "a number stays a number"
    assert body["tools"][1] == extra_tool
    assert body["response_format"]["json_schema"] == {"name": "answer", "strict": True}


def test_a_call_without_prompt_id_goes_as_sent(gateway: Gateway):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "{{hc:x:string}}"}]}
    answer, request_id, sent = gateway.chat(body)
    assert answer.status_code == 200, answer.text
    assert sent[0].json() == body
    row = gateway.row(request_id)
    assert (row["prompt_id"], row["prompt_version"]) == ("", "")

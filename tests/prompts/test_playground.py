"""POST /v1/prompt-2025/playground: a version run through the unified gateway in-process, as
the dashboard's session (no API key) or a key, logged like any gateway call; and the
in-process gateway caller's bounds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.errors import UpstreamError
from heliograph.gateway.inprocess import AnswerTooLarge, call_gateway
from heliograph.gateway.intake import TRUSTED_PRINCIPAL
from heliograph.meta.keys import Principal
from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import assembly_app, upstream_calls
from tests.prompts.helpers import create_prompt

SAVED = {
    "model": "gpt-4o-mini",
    "stream": True,  # the playground shows whole answers: its call sends "stream": false
    "messages": [
        {"role": "system", "content": "You help customers of {{hc:company:string}}."},
        {"role": "user", "content": "Hello"},
    ],
}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "playground")


def _run(client: Any, prompt: tuple[str, str], inputs: Any, **headers: str) -> Any:
    body = {"promptId": prompt[0], "promptVersionId": prompt[1], "inputs": inputs}
    return client.post("/v1/prompt-2025/playground", json=body, headers=headers)


def test_a_run_is_the_gateway_call_with_the_prompt_logged(
    server: InProcessServer, fake_provider: FakeProvider
):
    key = server.new_organization("playground")
    prompt = create_prompt(server, key, body=SAVED)
    before = len(upstream_calls(fake_provider))
    with server.api(key) as client:
        answer = _run(client, prompt, {"company": "Acme Corp"})
    assert answer.status_code == 200, answer.text
    run = answer.json()["data"]
    assert run["status"] == 200
    assert run["response"]["object"] == "chat.completion"
    [upstream] = upstream_calls(fake_provider)[before:]
    assert upstream.json() == {
        "model": "gpt-4o-mini",
        "stream": False,
        "messages": [
            {"role": "system", "content": "You help customers of Acme Corp."},
            {"role": "user", "content": "Hello"},
        ],
    }
    row = server.wait_for_request(run["requestId"], key)
    assert (row["prompt_id"], row["prompt_version"]) == prompt
    assert (row["response_status"], row["request_body"]) == (200, upstream.json())


def test_the_gateways_refusal_is_reported_and_logged(server: InProcessServer):
    key = server.new_organization("playground")
    prompt = create_prompt(server, key, body=SAVED)
    other = create_prompt(server, server.new_organization("playground-other"), body=SAVED)
    with server.api(key) as client:
        missing = _run(client, prompt, {}).json()["data"]
        foreign = _run(client, other, {"company": "Acme"}).json()["data"]
    assert missing["status"] == 400
    assert missing["response"]["error"]["code"] == "invalid_prompt"
    assert missing["response"]["error"]["message"] == (
        "Variable 'company' (string) is missing from inputs"
    )
    assert foreign["status"] == 400
    assert foreign["response"]["error"]["message"] == f"Unknown prompt '{other[0]}'"
    row = server.wait_for_request(missing["requestId"], key)
    assert (row["prompt_id"], row["response_status"]) == (prompt[0], 400)


def test_a_signed_in_session_runs_it_with_its_csrf_token(server: InProcessServer):
    org = f"playground-session-{uuid.uuid4().hex[:8]}"
    key = server.create_key(org)
    email = f"{org}@example.com"
    server.create_user(email, PASSWORD, org)
    prompt = create_prompt(server, key, body=SAVED)
    with server.client() as browser:
        signed = browser.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        csrf = signed.json()["data"]["csrfToken"]
        refused = _run(browser, prompt, {"company": "Acme"})
        answer = _run(browser, prompt, {"company": "Acme"}, **{"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["status"] == 200
    row = server.wait_for_request(answer.json()["data"]["requestId"], key)
    assert row["prompt_id"] == prompt[0]


def test_bad_bodies_are_refused_before_any_call(server: InProcessServer):
    key = server.new_organization("playground")
    prompt = create_prompt(server, key, body=SAVED)
    too_many = {f"name{i}": "x" for i in range(201)}
    with server.api(key) as client:
        answers = [
            _run(client, prompt, too_many),
            _run(client, prompt, ["not", "an", "object"]),
            client.post("/v1/prompt-2025/playground", json={"promptId": prompt[0]}),
        ]
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert answers[0].json()["error"].startswith("Invalid request: body.inputs")


def _gateway(chunks: list[bytes], seen: list[Any]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope[TRUSTED_PRINCIPAL], scope["path"], await receive()))
        if chunks:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    return app


def test_the_in_process_caller_hands_over_its_principal_and_bounds_the_answer():
    principal = Principal("org-1", "")
    seen: list[Any] = []

    def call(chunks: list[bytes]) -> Any:
        app = _gateway(chunks, seen)
        return asyncio.run(call_gateway(app, principal, "/v1/chat/completions", b"{}", {}, 10))

    answer = call([b"12345", b"67890"])
    assert (answer.status, answer.body) == (200, b"1234567890")
    assert seen[0] == (principal, "/v1/chat/completions", {
        "type": "http.request", "body": b"{}", "more_body": False,
    })  # fmt: skip
    with pytest.raises(AnswerTooLarge):
        call([b"12345", b"678901"])
    with pytest.raises(UpstreamError):
        call([])

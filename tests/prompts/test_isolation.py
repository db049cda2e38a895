"""Organizations never see or change each other's prompts: another organization's key gets a
404 on every endpoint, never the prompt's data, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import Gateway, assembly_app
from tests.prompts.helpers import BODY, create_prompt, new_org, new_version


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "isolation")


def _calls(prompt: str, version: str, request_id: str) -> list[tuple[str, str, Any]]:
    """Every endpoint that names a prompt or a version, with a valid body."""
    return [
        ("GET", f"/v1/prompt-2025/id/{prompt}", None),
        ("POST", f"/v1/prompt-2025/id/{prompt}/rename", {"name": "mine now"}),
        ("PATCH", f"/v1/prompt-2025/id/{prompt}/tags", {"tags": ["stolen"]}),
        (
            "POST",
            "/v1/prompt-2025/update",
            {
                "promptId": prompt,
                "promptVersionId": version,
                "newMajorVersion": True,
                "environment": "production",
                "commitMessage": "hijack",
                "promptBody": BODY,
            },
        ),
        ("POST", "/v1/prompt-2025/query/version", {"promptVersionId": version}),
        ("POST", "/v1/prompt-2025/query/versions", {"promptId": prompt}),
        ("POST", "/v1/prompt-2025/query/production-version", {"promptId": prompt}),
        (
            "POST",
            "/v1/prompt-2025/query/environment-version",
            {"promptId": prompt, "environment": "production"},
        ),
        ("POST", "/v1/prompt-2025/query/total-versions", {"promptId": prompt}),
        ("POST", "/v2/prompt-2025/query/version", {"promptVersionId": version}),
        ("POST", "/v2/prompt-2025/query/production-version", {"promptId": prompt}),
        (
            "POST",
            "/v2/prompt-2025/query/environment-version",
            {"promptId": prompt, "environment": "production"},
        ),
        (
            "POST",
            "/v1/prompt-2025/update/environment",
            {"promptId": prompt, "promptVersionId": version, "environment": "staging"},
        ),
        ("GET", f"/v1/prompt-2025/id/{prompt}/{version}/inputs?requestId={request_id}", None),
        ("DELETE", f"/v1/prompt-2025/{prompt}/{version}", None),
        ("DELETE", f"/v1/prompt-2025/{prompt}", None),
    ]


def _state(server: InProcessServer, key: str, prompt: str) -> Any:
    """What the owner sees of the prompt (s3_url aside: each answer signs afresh)."""
    with server.api(key) as client:
        shown = client.get(f"/v1/prompt-2025/id/{prompt}").json()
        versions = client.post("/v1/prompt-2025/query/versions", json={"promptId": prompt}).json()
        listed = client.get("/v1/prompt-2025/environments").json()
    for version in versions["data"]:
        version.pop("s3_url")
    return shown, versions, listed


def test_another_organization_gets_404_everywhere_and_changes_nothing(
    server: InProcessServer, fake_provider: FakeProvider
):
    owner, intruder = new_org(server, "owner"), new_org(server, "intruder")
    prompt, first = create_prompt(server, owner, tags=["secret-tag"])
    second = new_version(server, owner, prompt, first, environment="staging")
    gateway = Gateway(server, fake_provider, owner)
    called = {"prompt_id": prompt, "version_id": second, "inputs": {"name": "Alice"}}
    answer, request_id, _ = gateway.chat(called)
    assert answer.status_code == 200, answer.text
    assert gateway.inputs(prompt, second, request_id).status_code == 200
    create_prompt(server, intruder, name="Intruder's own")  # its own prompt exists
    before = _state(server, owner, prompt)
    with server.api(intruder) as client:
        for method, path, body in _calls(prompt, second, request_id):
            answer = client.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["data"] is None, (method, path)
            assert prompt not in answer.text and "secret-tag" not in answer.text
        listed = client.post("/v1/prompt-2025/query", json={}).json()["data"]
        assert [p["name"] for p in listed] == ["Intruder's own"]
        assert client.get("/v1/prompt-2025/count").json()["data"] == 1
        assert client.get("/v1/prompt-2025/tags").json()["data"] == []
        assert client.get("/v1/prompt-2025/environments").json()["data"] == ["production"]
    assert _state(server, owner, prompt) == before
    with server.api(owner) as client:  # and the owner still reaches all of it
        for method, path, body in _calls(prompt, second, request_id)[:-2]:
            assert client.request(method, path, json=body).status_code == 200, (method, path)

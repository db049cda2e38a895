"""Version numbers, environments (promote, roll back), deletion and the v2 answers, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inprocess import InProcessServer
from tests.prompts.helpers import BODY, create_prompt, new_org, new_version, version


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _number(server: InProcessServer, key: str, version_id: str) -> tuple[int, int]:
    shown = version(server, key, version_id)
    return shown["major_version"], shown["minor_version"]


def test_minor_versions_follow_their_major_and_numbers_are_never_reused(server: InProcessServer):
    key = new_org(server, "numbers")
    prompt, v0_0 = create_prompt(server, key)
    v0_1 = new_version(server, key, prompt, v0_0)
    v1_0 = new_version(server, key, prompt, v0_1, major=True)
    v1_1 = new_version(server, key, prompt, v1_0)
    v0_2 = new_version(server, key, prompt, v0_0)  # a minor of major 0, after 1.x exists
    v2_0 = new_version(server, key, prompt, v0_2, major=True)  # the next major overall
    assert [_number(server, key, v) for v in (v0_1, v1_0, v1_1, v0_2, v2_0)] == [
        (0, 1),
        (1, 0),
        (1, 1),
        (0, 2),
        (2, 0),
    ]
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}/{v2_0}").status_code == 200
        assert client.delete(f"/v1/prompt-2025/{prompt}/{v1_1}").status_code == 200
        counts = client.post("/v1/prompt-2025/query/total-versions", json={"promptId": prompt})
    assert counts.json()["data"] == {"totalVersions": 4, "majorVersions": 2}
    assert _number(server, key, new_version(server, key, prompt, v1_0)) == (1, 2)
    assert _number(server, key, new_version(server, key, prompt, v1_0, major=True)) == (3, 0)
    with server.api(key) as client:  # a deleted version is no base for a new one
        again = client.post(
            "/v1/prompt-2025/update",
            json={
                "promptId": prompt,
                "promptVersionId": v2_0,
                "newMajorVersion": False,
                "commitMessage": "x",
                "promptBody": BODY,
            },
        )
    assert again.status_code == 404


def _in(server: InProcessServer, key: str, prompt: str, environment: str) -> dict[str, Any]:
    with server.api(key) as client:
        answer = client.post(
            "/v1/prompt-2025/query/environment-version",
            json={"promptId": prompt, "environment": environment},
        )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def _promote(server: InProcessServer, key: str, prompt: str, version_id: str, env: str) -> None:
    with server.api(key) as client:
        answer = client.post(
            "/v1/prompt-2025/update/environment",
            json={"promptId": prompt, "promptVersionId": version_id, "environment": env},
        )
    assert answer.status_code == 200 and answer.json() == {"data": None, "error": None}


def test_promote_and_roll_back(server: InProcessServer):
    key = new_org(server, "promote")
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first, environment="staging")
    assert _in(server, key, prompt, "production")["id"] == first
    assert _in(server, key, prompt, "staging")["id"] == second
    _promote(server, key, prompt, second, "production")
    promoted = _in(server, key, prompt, "production")
    assert promoted["id"] == second and promoted["environments"] == ["production", "staging"]
    assert version(server, key, first)["environment"] is None
    _promote(server, key, prompt, first, "production")  # roll back
    assert _in(server, key, prompt, "production")["id"] == first
    assert _in(server, key, prompt, "staging")["environment"] == "staging"
    _promote(server, key, prompt, second, "eu-canary.2")  # any name
    with server.api(key) as client:
        names = client.get("/v1/prompt-2025/environments").json()["data"]
    assert names == ["eu-canary.2", "production", "staging"]
    with server.api(key) as client:  # a deleted version leaves its environments
        assert client.delete(f"/v1/prompt-2025/{prompt}/{second}").status_code == 200
        gone = client.post(
            "/v1/prompt-2025/query/environment-version",
            json={"promptId": prompt, "environment": "staging"},
        )
        names = client.get("/v1/prompt-2025/environments").json()["data"]
    assert gone.status_code == 404 and gone.json()["error"] == "Prompt version not found"
    assert names == ["production"]


def test_v2_answers_carry_the_body(server: InProcessServer):
    key = new_org(server, "v2")
    # JSON's integers have no size limit: one past 64 bits comes back as sent.
    tools = [{"type": "function", "function": {"name": "f"}}]
    body = {**BODY, "tools": tools, "seed": 7, "x-trace": 2**70, "note": "café ☕"}
    prompt, first = create_prompt(server, key, body=body)
    with server.api(key) as client:
        answers = [
            client.post("/v2/prompt-2025/query/version", json={"promptVersionId": first}),
            client.post("/v2/prompt-2025/query/production-version", json={"promptId": prompt}),
            client.post(
                "/v2/prompt-2025/query/environment-version",
                json={"promptId": prompt, "environment": "production"},
            ),
        ]
        v1 = client.post("/v1/prompt-2025/query/version", json={"promptVersionId": first})
    for answer in answers:
        data = answer.json()["data"]
        assert data["prompt_body"] == body
        assert {k: v for k, v in data.items() if k not in ("prompt_body", "s3_url")} == {
            k: v for k, v in v1.json()["data"].items() if k != "s3_url"
        }


def test_query_searches_filters_by_tags_and_pages(server: InProcessServer):
    key = new_org(server, "query")
    names = ["Support bot", "Ticket classifier", "SUPPORT triage", "100% off_sale"]
    tags = [["support", "chatbot"], ["support"], ["triage"], []]
    for name, tagged in zip(names, tags, strict=True):
        create_prompt(server, key, name=name, tags=tagged)
    with server.api(key) as client:

        def found(**body: Any) -> list[str]:
            answer = client.post("/v1/prompt-2025/query", json=body)
            return [p["name"] for p in answer.json()["data"]]

        assert found() == names[::-1], "newest first"
        assert found(search="support") == ["SUPPORT triage", "Support bot"]
        assert found(tagsFilter=["chatbot", "triage"]) == ["SUPPORT triage", "Support bot"]
        assert found(search="%") == ["100% off_sale"] and found(search="f_s") == ["100% off_sale"]
        assert found(pageSize=3, page=1) == ["Support bot"]
        assert found(pageSize=3, page=2) == []
        assert client.get("/v1/prompt-2025/tags").json()["data"] == [
            "chatbot",
            "support",
            "triage",
        ]

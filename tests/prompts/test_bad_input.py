"""Bad input to the prompt endpoints: Helicone's envelope with the right status, and nothing
written (every prompt table counted before and after)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, text

from heliograph.prompts.rules import MAX_BODY_BYTES, MAX_TAGS
from tests.inprocess import InProcessServer
from tests.prompts.helpers import BODY, create_prompt, new_org, new_version

TABLES = ("prompts", "prompt_tags", "prompt_versions", "prompt_environments", "prompt_bodies")


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _counts(server: InProcessServer) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{server.data_dir / 'metadata.db'}")
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
                for table in TABLES
            }
    finally:
        engine.dispose()


def _body_of_size(size: int) -> dict[str, Any]:
    """A prompt body that is exactly `size` bytes as compact JSON."""
    body = {**BODY, "metadata": ""}
    padding = size - len(orjson.dumps(body))
    return {**BODY, "metadata": "x" * padding}


def _refused(server: InProcessServer, key: str, method: str, path: str, status: int, **kw: Any):
    before = _counts(server)
    with server.api(key) as client:
        answer = client.request(method, path, **kw)
    assert answer.status_code == status, (path, kw, answer.text)
    envelope = answer.json()
    assert envelope["data"] is None and isinstance(envelope["error"], str) and envelope["error"]
    assert _counts(server) == before, "a refused call wrote nothing"
    return envelope["error"]


BAD_CREATES: list[tuple[Any, int, str]] = [
    ({"tags": [], "promptBody": BODY}, 400, "name"),
    ({"name": "   ", "tags": [], "promptBody": BODY}, 400, "name"),
    ({"name": "x" * 256, "promptBody": BODY}, 400, "name"),
    ({"name": "ok", "tags": "support", "promptBody": BODY}, 400, "tags"),
    (
        {"name": "ok", "tags": [f"t{i}" for i in range(MAX_TAGS + 1)], "promptBody": BODY},
        400,
        "tags",
    ),
    ({"name": "ok", "tags": ["x" * 101], "promptBody": BODY}, 400, "tags"),
    ({"name": "ok"}, 400, "promptBody"),
    ({"name": "ok", "promptBody": ["not", "an", "object"]}, 400, "promptBody"),
    ({"name": "ok", "promptBody": {"messages": []}}, 400, "promptBody.model"),
    ({"name": "ok", "promptBody": {"model": " "}}, 400, "promptBody.model"),
    ({"name": "ok", "promptBody": {"model": "m" * 257}}, 400, "promptBody.model"),
    ({"name": "ok", "promptBody": {"model": "gpt-4", "messages": "hi"}}, 400, "promptBody"),
    ([1, 2], 400, "body"),
]


@pytest.mark.parametrize(("body", "status", "named"), BAD_CREATES)
def test_bad_creates_are_refused(server: InProcessServer, body: Any, status: int, named: str):
    key = new_org(server, "bad-create")
    error = _refused(server, key, "POST", "/v1/prompt-2025", status, json=body)
    assert named in error


def test_not_json_is_a_400(server: InProcessServer):
    key = new_org(server, "not-json")
    headers = {"Content-Type": "application/json"}
    _refused(server, key, "POST", "/v1/prompt-2025", 400, content=b"{nope", headers=headers)


def test_a_body_is_taken_up_to_one_mib_and_refused_beyond(server: InProcessServer):
    key = new_org(server, "sizes")
    at_limit = _body_of_size(MAX_BODY_BYTES)
    prompt, first = create_prompt(server, key, body=at_limit)
    with server.api(key) as client:
        url = client.post("/v1/prompt-2025/query/version", json={"promptVersionId": first}).json()[
            "data"
        ]["s3_url"]
    assert len(server.request("GET", url).content) == MAX_BODY_BYTES
    over = _body_of_size(MAX_BODY_BYTES + 1)
    error = _refused(
        server, key, "POST", "/v1/prompt-2025", 413, json={"name": "big", "promptBody": over}
    )
    assert error.startswith("promptBody:") and str(MAX_BODY_BYTES) in error
    update = {
        "promptId": prompt,
        "promptVersionId": first,
        "newMajorVersion": False,
        "commitMessage": "too big",
        "promptBody": over,
    }
    _refused(server, key, "POST", "/v1/prompt-2025/update", 413, json=update)


def test_a_body_nested_too_deeply_is_a_400(server: InProcessServer):
    key = new_org(server, "deep")
    nested: Any = "leaf"
    for _ in range(300):
        nested = {"n": nested}
    body = {"name": "deep", "promptBody": {"model": "gpt-4", "extra": nested}}
    assert "nested too deeply" in _refused(server, key, "POST", "/v1/prompt-2025", 400, json=body)


def test_unknown_ids_are_404s_and_store_no_body(server: InProcessServer):
    key = new_org(server, "unknown")
    prompt, first = create_prompt(server, key)
    other_prompt, _ = create_prompt(server, key, name="Another")
    unknown = str(uuid.uuid4())
    update = {"newMajorVersion": True, "commitMessage": "x", "promptBody": BODY}
    for ids in (
        {"promptId": "nope00", "promptVersionId": first},
        {"promptId": prompt, "promptVersionId": unknown},
        {"promptId": other_prompt, "promptVersionId": first},  # a version of another prompt
    ):
        error = _refused(server, key, "POST", "/v1/prompt-2025/update", 404, json=update | ids)
        assert error == "Prompt version not found"
    for method, path, body in [
        ("GET", "/v1/prompt-2025/id/nope00", None),
        ("POST", "/v1/prompt-2025/id/nope00/rename", {"name": "x"}),
        ("PATCH", "/v1/prompt-2025/id/nope00/tags", {"tags": []}),
        ("DELETE", "/v1/prompt-2025/nope00", None),
        ("DELETE", f"/v1/prompt-2025/{prompt}/{unknown}", None),
        ("POST", "/v1/prompt-2025/query/version", {"promptVersionId": unknown}),
        ("POST", "/v1/prompt-2025/query/versions", {"promptId": "nope00"}),
        ("POST", "/v1/prompt-2025/query/total-versions", {"promptId": "nope00"}),
        ("POST", "/v1/prompt-2025/query/production-version", {"promptId": "nope00"}),
        (
            "POST",
            "/v1/prompt-2025/query/environment-version",
            {"promptId": prompt, "environment": "staging"},
        ),
        (
            "POST",
            "/v1/prompt-2025/update/environment",
            {"promptId": other_prompt, "promptVersionId": first, "environment": "staging"},
        ),
        ("GET", f"/v1/prompt-2025/id/{prompt}/{first}/inputs?requestId={unknown}", None),
        ("GET", f"/v1/prompt-2025/id/{other_prompt}/{first}/inputs?requestId={unknown}", None),
    ]:
        _refused(server, key, method, path, 404, json=body)


def test_bad_fields_are_400s(server: InProcessServer):
    key = new_org(server, "fields")
    prompt, first = create_prompt(server, key)
    update = {
        "promptId": prompt,
        "promptVersionId": first,
        "newMajorVersion": False,
        "commitMessage": "x",
        "promptBody": BODY,
    }
    for path, body in [
        ("/v1/prompt-2025/update", update | {"environment": "no spaces"}),
        ("/v1/prompt-2025/update", update | {"environment": "e" * 65}),
        ("/v1/prompt-2025/update", {k: v for k, v in update.items() if k != "commitMessage"}),
        ("/v1/prompt-2025/update", update | {"newMajorVersion": "maybe"}),
        ("/v1/prompt-2025/query", {"pageSize": 0}),
        ("/v1/prompt-2025/query", {"pageSize": 101}),
        ("/v1/prompt-2025/query", {"page": -1}),
        ("/v1/prompt-2025/query", {"search": "s" * 201}),
        ("/v1/prompt-2025/query/versions", {"promptId": prompt, "majorVersion": -1}),
        (f"/v1/prompt-2025/id/{prompt}/rename", {"name": ""}),
        (
            "/v1/prompt-2025/update/environment",
            {"promptId": prompt, "promptVersionId": first, "environment": ""},
        ),
    ]:
        _refused(server, key, "POST", path, 400, json=body)
    _refused(server, key, "GET", f"/v1/prompt-2025/id/{prompt}/{first}/inputs", 400)


def test_the_production_version_cannot_be_deleted(server: InProcessServer):
    key = new_org(server, "keep-production")
    prompt, first = create_prompt(server, key)
    error = _refused(server, key, "DELETE", f"/v1/prompt-2025/{prompt}/{first}", 409)
    assert "production" in error
    second = new_version(server, key, prompt, first, environment="production")
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}/{first}").status_code == 200
        assert client.delete(f"/v1/prompt-2025/{prompt}/{first}").status_code == 404
    _refused(server, key, "DELETE", f"/v1/prompt-2025/{prompt}/{second}", 409)

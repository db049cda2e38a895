"""Bad input to the prompt endpoints: Helicone's envelope with the right status, and nothing
written (every prompt table counted before and after)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, text

from heliograph.prompts.rules import MAX_BODY_BYTES, MAX_BODY_DEPTH, MAX_TAGS
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
    ({"name": "nul\x00", "promptBody": BODY}, 400, "name"),  # PostgreSQL's text holds no NUL
    ({"name": "ok", "tags": ["a\x00"], "promptBody": BODY}, 400, "tags"),
    ({"name": "ok", "promptBody": {"model": "gpt\x00"}}, 400, "promptBody.model"),
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
    nan = b'{"name": "n", "promptBody": {"model": "gpt-4", "temperature": NaN}}'
    error = _refused(server, key, "POST", "/v1/prompt-2025", 400, content=nan, headers=headers)
    assert error == "promptBody: NaN and Infinity are not JSON numbers"


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


def _nested(depth: int) -> Any:
    nested: Any = "leaf"
    for _ in range(depth):
        nested = {"n": nested}
    return nested


def test_bodies_are_kept_up_to_the_depth_limit_and_refused_beyond(server: InProcessServer):
    key = new_org(server, "deep")
    deep = {"model": "gpt-4", "extra": _nested(MAX_BODY_DEPTH - 1)}  # the body is level 1
    _, first = create_prompt(server, key, body=deep)
    with server.api(key) as client:
        shown = client.post("/v2/prompt-2025/query/version", json={"promptVersionId": first})
    assert shown.json()["data"]["prompt_body"] == deep
    too_deep = {"name": "deep", "promptBody": {"model": "gpt-4", "extra": _nested(MAX_BODY_DEPTH)}}
    error = _refused(server, key, "POST", "/v1/prompt-2025", 400, json=too_deep)
    assert error.startswith("promptBody: nested too deeply")
    past_the_parser = b'{"name": "x", "promptBody": {"model": "m", "e": ' + b"[" * 5000
    headers = {"Content-Type": "application/json"}
    content = past_the_parser + b"]" * 5000 + b"}}"
    _refused(server, key, "POST", "/v1/prompt-2025", 400, content=content, headers=headers)


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
        ("/v1/prompt-2025/update", update | {"commitMessage": "a\x00b"}),
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

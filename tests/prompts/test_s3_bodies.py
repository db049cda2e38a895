"""Prompt bodies in an S3-compatible object store (moto's server, over HTTP), through the
real app: each version's `s3_url` is the store's presigned URL, objects are keyed by
organization, deletes remove them, and a store that is down answers 503 with nothing stored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from heliograph.meta import db
from heliograph.mock_provider import FakeProvider
from heliograph.prompts.bodies import EmbeddedBodyStore
from tests.conftest import SHARED_SETTINGS
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import UPSTREAM_KEY, Gateway
from tests.prompts.helpers import BODY, create_prompt, new_org, new_version, organization_of
from tests.prompts.helpers import version as version_of
from tests.prompts.object_store import ACCESS_KEY_ID, KEY_PREFIX, SECRET_ACCESS_KEY, ObjectStore

CHANGED: dict[str, Any] = {**BODY, "temperature": 0.1}
UNAVAILABLE = {"data": None, "error": "Prompt body store unavailable; retry shortly"}


@pytest.fixture(scope="module")
def server(
    store: ObjectStore,
    bucket: str,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp("s3-bodies") / "data"
    # The unified gateway reaches the fake provider with a key of its own (gateway_helpers).
    env = SHARED_SETTINGS | store.settings(bucket) | {"HELIOGRAPH_OPENAI_API_KEY": UPSTREAM_KEY}
    app = InProcessServer(data_dir, fake_provider.url, env=env)
    app.start()
    yield app
    app.stop()


def _keys(store: ObjectStore, bucket: str, organization_id: str) -> list[str]:
    return store.keys(bucket, f"{KEY_PREFIX}{organization_id}/")


def _key(organization_id: str, version_id: str) -> str:
    return f"{KEY_PREFIX}{organization_id}/{version_id}.json"


def test_s3_url_is_the_stores_presigned_url_of_the_body(
    server: InProcessServer, store: ObjectStore, bucket: str
):
    key = new_org(server, "s3")
    organization_id = organization_of(server, key)
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first, body=CHANGED)
    for version_id, body in ((first, BODY), (second, CHANGED)):
        url = version_of(server, key, version_id)["s3_url"]
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == store.url
        assert parts.path == f"/{bucket}/{_key(organization_id, version_id)}"
        query = parse_qs(parts.query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Expires"] == ["3600"]
        assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY_ID}/")
        fetched = httpx.get(url)  # from the store, with no credentials but the URL's
        assert (fetched.status_code, fetched.json()) == (200, body)
        assert fetched.headers["content-type"] == "application/json"
    assert _keys(store, bucket, organization_id) == sorted(
        _key(organization_id, v) for v in (first, second)
    )
    # The metadata database holds none of them.
    assert server.app is not None
    sessions = db.session_factory(db.connect(server.app.services.settings.metadata_url))
    assert EmbeddedBodyStore(sessions).get(organization_id, first) is None


def test_bodies_inline_and_version_lists_come_from_the_store(server: InProcessServer):
    key = new_org(server, "s3-read")
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first, body=CHANGED, environment="staging")
    with server.api(key) as client:
        inline = client.post("/v2/prompt-2025/query/version", json={"promptVersionId": second})
        staged = client.post(
            "/v2/prompt-2025/query/environment-version",
            json={"promptId": prompt, "environment": "staging"},
        )
        listed = client.post("/v1/prompt-2025/query/versions", json={"promptId": prompt})
    assert inline.json()["data"]["prompt_body"] == CHANGED
    assert staged.json()["data"]["prompt_body"] == CHANGED
    versions = listed.json()["data"]
    assert [v["id"] for v in versions] == [second, first]
    assert [httpx.get(v["s3_url"]).json() for v in versions] == [CHANGED, BODY]


def test_the_gateway_assembles_calls_from_the_store(
    server: InProcessServer, store: ObjectStore, fake_provider: FakeProvider
):
    key = new_org(server, "s3-gateway")
    gateway = Gateway(server, fake_provider, key)
    prompt, first = create_prompt(server, key)
    asked = {"role": "user", "content": "Hello"}
    answer, _, sent = gateway.chat({"prompt_id": prompt, "messages": [asked]})
    assert answer.status_code == 200, answer.text
    assert [call.json()["messages"] for call in sent] == [[*BODY["messages"], asked]]
    new_version(server, key, prompt, first, body=CHANGED, environment="staging")
    with store.down():  # a body the gateway has not read yet
        answer, _, sent = gateway.chat({"prompt_id": prompt, "environment": "staging"})
    assert (answer.status_code, sent) == (503, [])
    assert answer.json()["error"]["message"] == UNAVAILABLE["error"]


def test_deletes_remove_the_objects(server: InProcessServer, store: ObjectStore, bucket: str):
    key = new_org(server, "s3-delete")
    organization_id = organization_of(server, key)
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first)
    third = new_version(server, key, prompt, first, major=True)
    assert len(_keys(store, bucket, organization_id)) == 3
    second_url = version_of(server, key, second)["s3_url"]
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}/{second}").status_code == 200
    assert _keys(store, bucket, organization_id) == sorted(
        _key(organization_id, v) for v in (first, third)
    )
    assert httpx.get(second_url).status_code == 404  # the object is gone from the store
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}").status_code == 200
    assert _keys(store, bucket, organization_id) == []


def test_organizations_are_kept_apart(server: InProcessServer, store: ObjectStore, bucket: str):
    a, b = new_org(server, "s3-a"), new_org(server, "s3-b")
    org_a, org_b = organization_of(server, a), organization_of(server, b)
    prompt_a, version_a = create_prompt(server, a)
    _, version_b = create_prompt(server, b, body=CHANGED)
    assert _keys(store, bucket, org_a) == [_key(org_a, version_a)]
    assert _keys(store, bucket, org_b) == [_key(org_b, version_b)]
    assert store.object(bucket, _key(org_b, version_b)) != store.object(
        bucket, _key(org_a, version_a)
    )
    with server.api(b) as client:
        for path in ("/v1/prompt-2025/query/version", "/v2/prompt-2025/query/version"):
            assert client.post(path, json={"promptVersionId": version_a}).status_code == 404
        assert client.delete(f"/v1/prompt-2025/{prompt_a}/{version_a}").status_code == 404
        assert client.delete(f"/v1/prompt-2025/{prompt_a}").status_code == 404
    assert _keys(store, bucket, org_a) == [_key(org_a, version_a)]
    url_b = version_of(server, b, version_b)["s3_url"]
    assert org_a not in url_b and httpx.get(url_b).json() == CHANGED


def test_a_store_that_is_down_answers_503_and_nothing_is_stored(
    server: InProcessServer, store: ObjectStore, bucket: str, caplog: pytest.LogCaptureFixture
):
    key = new_org(server, "s3-down")
    organization_id = organization_of(server, key)
    prompt, first = create_prompt(server, key)
    kept = _keys(store, bucket, organization_id)
    update = {
        "promptId": prompt,
        "promptVersionId": first,
        "newMajorVersion": True,
        "commitMessage": "while the store is down",
        "promptBody": CHANGED,
        "environment": "production",
    }
    caplog.set_level(logging.WARNING)
    with store.down(), server.api(key) as client:
        refused = [
            client.post("/v1/prompt-2025", json={"name": "Down", "promptBody": BODY}),
            client.post("/v1/prompt-2025/update", json=update),
            client.post("/v2/prompt-2025/query/version", json={"promptVersionId": first}),
        ]
        count = client.get("/v1/prompt-2025/count").json()["data"]
        totals = client.post("/v1/prompt-2025/query/total-versions", json={"promptId": prompt})
        production = client.post(
            "/v1/prompt-2025/query/production-version", json={"promptId": prompt}
        )
    for answer in refused:
        assert (answer.status_code, answer.json()) == (503, UNAVAILABLE)
        assert answer.headers["retry-after"] == "5"
    assert count == 1
    assert totals.json()["data"] == {"totalVersions": 1, "majorVersions": 1}
    assert production.json()["data"]["id"] == first  # the failed update took nothing over
    assert _keys(store, bucket, organization_id) == kept
    assert "prompt body store" in caplog.text and "put failed" in caplog.text
    assert SECRET_ACCESS_KEY not in caplog.text
    assert all(SECRET_ACCESS_KEY not in answer.text for answer in refused)
    # Back up: the same calls work again.
    assert version_of(server, key, first)["id"] == first
    new_version(server, key, prompt, first, body=CHANGED)
    assert len(_keys(store, bucket, organization_id)) == 2


def test_a_delete_while_the_store_is_down_is_done_and_says_what_was_left(
    server: InProcessServer, store: ObjectStore, bucket: str, caplog: pytest.LogCaptureFixture
):
    key = new_org(server, "s3-down-delete")
    organization_id = organization_of(server, key)
    prompt, first = create_prompt(server, key)
    caplog.set_level(logging.WARNING)
    with store.down(), server.api(key) as client:
        deleted = client.delete(f"/v1/prompt-2025/{prompt}")
    assert deleted.status_code == 200
    with server.api(key) as client:
        assert client.get(f"/v1/prompt-2025/id/{prompt}").status_code == 404
    assert _keys(store, bucket, organization_id) == [_key(organization_id, first)]
    assert (
        f"deleted 1 versions of prompt {prompt} (organization {organization_id}), but their "
        "bodies were left in the body store" in caplog.text
    )

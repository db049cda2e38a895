"""Keys' permissions (Helicone's `key_permissions`: r, w, rw) on every REST route and the
gateway: enforced in one place (api/auth.py with api/access.py), answered 403 in the
`{"data": null, "error"}` envelope."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute

from heliograph.api.access import (
    READ,
    READ_WRITE,
    WRITE,
    access_needed,
    takes_reading_dependency,
)
from heliograph.api.app import ROUTERS
from heliograph.api.fair_reads import fair_reader
from tests.inprocess import InProcessServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
ALERT = {
    "name": "High error rate",
    "metric": "response.status",
    "threshold": 10,
    "time_window": "3600000",
    "emails": ["team@example.com"],
    "slack_channels": [],
    "minimum_request_count": 5,
}


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _org_keys(server: InProcessServer) -> dict[str, str]:
    """An organization's read-write key, and a read-only and a write-only key it made."""
    owner = server.create_key(f"perm-{uuid.uuid4().hex[:8]}")
    keys = {"rw": owner}
    with server.api(owner) as client:
        for permissions in ("r", "w"):
            body = {"api_key_name": f"{permissions}-key", "key_permissions": permissions}
            created = client.post("/v1/api-keys", json=body)
            assert created.status_code == 200, created.text
            assert created.json()["data"]["key_permissions"] == permissions
            keys[permissions] = created.json()["apiKey"]
    return keys


def _refused(answer: Any, kind: str) -> None:
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["data"] is None and f"This API key is {kind}" in body["error"], body


WRITES = [
    ("POST", "/v1/alert/create", ALERT),
    ("POST", "/v1/api-keys", {"api_key_name": "escalate", "key_permissions": "rw"}),
    ("POST", "/v1/vault/add", {"key": "sk-test-1234567890abcd", "provider": "openai"}),
    ("POST", "/v1/webhooks", {"destination": "https://example.com/h", "config": {}}),
    ("DELETE", "/v1/cache", None),
    ("POST", "/v1/request/00000000-0000-4000-8000-000000000000/feedback", {"rating": True}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_key_cannot_write(
    server: InProcessServer, method: str, path: str, body: dict[str, Any] | None
):
    keys = _org_keys(server)
    with server.api(keys["r"]) as client:
        _refused(client.request(method, path, json=body), "read-only")


def test_a_read_only_key_reads_and_queries(server: InProcessServer):
    keys = _org_keys(server)
    with server.api(keys["r"]) as client:
        assert client.get("/v1/api-keys").status_code == 200
        assert client.get("/v1/webhooks").status_code == 200
        # Helicone's query routes are POSTs that only read: a read-only key may use them.
        assert client.post("/v1/request/query", json={"filter": "all"}).status_code == 200
        assert client.post("/v1/metrics/overview", json={}).status_code != 403
        ids = [k["id"] for k in client.get("/v1/api-keys").json()["data"]]
        _refused(client.patch(f"/v1/api-keys/{ids[0]}", json={"api_key_name": "x"}), "read-only")
        _refused(client.delete(f"/v1/api-keys/{ids[0]}"), "read-only")


def test_a_write_only_key_cannot_read_nor_manage_keys(server: InProcessServer):
    keys = _org_keys(server)
    with server.api(keys["w"]) as client:
        _refused(client.get("/v1/api-keys"), "write-only")
        _refused(client.get("/v1/vault/keys"), "write-only")
        _refused(client.post("/v1/request/query", json={"filter": "all"}), "write-only")
        # A write-only key cannot make itself a key that reads.
        made = client.post("/v1/api-keys", json={"api_key_name": "up", "key_permissions": "rw"})
        _refused(made, "write-only")
        # ...but it writes: an alert, a score.
        assert client.post("/v1/alert/create", json=ALERT).status_code == 200
    with server.api(keys["rw"]) as client:
        names = {k["api_key_name"] for k in client.get("/v1/api-keys").json()["data"]}
    assert "up" not in names


def test_the_gateway_takes_write_keys_only(server: InProcessServer):
    keys = _org_keys(server)
    for permissions, status in (("rw", 200), ("w", 200), ("r", 403)):
        answer = server.request(
            "POST",
            "/openai/v1/chat/completions",
            headers={"Helicone-Auth": f"Bearer {keys[permissions]}"},
            json=CHAT,
            timeout=30,
        )
        assert answer.status_code == status, (permissions, answer.text)
    refused = answer.json()["error"]
    assert "read-only" in refused["message"] and refused["type"] == "permission_error"


def test_changing_permissions_applies_at_once_also_to_signed_in_sessions(
    server: InProcessServer,
):
    keys = _org_keys(server)
    with server.api(keys["rw"]) as owner:
        listed = owner.get("/v1/api-keys").json()["data"]
        read_only_id = next(k["id"] for k in listed if k["api_key_name"] == "r-key")
    with server.client() as browser:
        signed_in = browser.post("/v1/auth/sign-in", json={"apiKey": keys["r"]})
        assert signed_in.status_code == 200, signed_in.text
        csrf = {"X-CSRF-Token": signed_in.json()["data"]["csrfToken"]}
        _refused(browser.post("/v1/alert/create", json=ALERT, headers=csrf), "read-only")
        with server.api(keys["rw"]) as owner:
            changed = owner.patch(f"/v1/api-keys/{read_only_id}", json={"key_permissions": "rw"})
            assert changed.status_code == 200, changed.text
        assert browser.post("/v1/alert/create", json=ALERT, headers=csrf).status_code == 200
    with server.api(keys["r"]) as client:  # the key itself, no longer cached as read-only
        assert client.post("/v1/alert/create", json=ALERT).status_code == 200


def test_every_route_reading_the_store_is_a_read():
    """Routes taking a fair read slot (fair_reads.Reader) only read, whatever their method:
    auth counts them as reads from the slot they take, with no list to keep up to date."""
    routes = [route for router in ROUTERS for route in router.routes]
    checked = 0
    for route in (route for route in routes if isinstance(route, APIRoute)):
        uses_reader = any(dep.call is fair_reader for dep in route.dependant.dependencies)
        assert takes_reading_dependency(route) == uses_reader, route.path
        for method in route.methods:
            needed = access_needed(method, route.path, takes_reading_dependency(route))
            if uses_reader:
                checked += 1
                assert needed == READ, f"{method} {route.path} reads the store"
            if route.path.startswith(("/v1/api-keys", "/v1/vault/")) and method != "GET":
                assert needed == READ_WRITE, f"{method} {route.path} changes keys"
    assert checked >= 10


def test_reading_posts_without_a_query_in_their_path(server: InProcessServer):
    """POSTs that read although nothing in their path says so (Helicone's /v1/providers, a
    request's asset): a read-only key may call them, a write-only key may not."""
    keys = _org_keys(server)
    asset = f"/v1/request/{uuid.uuid4()}/assets/{uuid.uuid4()}"
    for path, body in (("/v1/providers", {}), (asset, None)):
        with server.api(keys["r"]) as client:
            assert client.post(path, json=body).status_code != 403, path
        with server.api(keys["w"]) as client:
            _refused(client.post(path, json=body), "write-only")


@pytest.mark.parametrize(
    ("method", "route", "needed"),
    [
        ("GET", "/v1/request/{request_id}", READ),
        ("POST", "/v1/request/query-clickhouse", READ),
        ("POST", "/v1/prompt-2025/query/version", READ),
        ("POST", "/v1/helicone-sql/execute", READ),
        ("POST", "/v1/session/{session_id:path}/tag", WRITE),
        ("PUT", "/v1/request/{request_id}/property", WRITE),
        ("POST", "/v1/webhooks/{webhook_id}/test", WRITE),
        ("PATCH", "/v1/vault/update/{id}", READ_WRITE),
        ("GET", "/v1/vault/keys", READ),
    ],
)
def test_what_a_route_needs(method: str, route: str, needed: str):
    assert access_needed(method, route) == needed

"""REST: listing, creating and revoking an organization's Heliograph API keys."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.inprocess import InProcessServer
from tests.server import HeliographProcess


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _org_key(server: InProcessServer) -> str:
    return server.create_key(f"keys-{uuid.uuid4().hex[:8]}")


def test_create_list_and_revoke(server: InProcessServer):
    owner = _org_key(server)
    with server.api(owner) as client:
        before = client.get("/v1/api-keys").json()["data"]
        assert len(before) == 1 and before[0]["current"] is True
        assert owner not in str(before) and before[0]["preview"].startswith("sk-helicone-")

        created = client.post("/v1/api-keys", json={"name": "  ci  "})
        assert created.status_code == 200
        data = created.json()["data"]
        assert data["name"] == "ci" and data["apiKey"].startswith("sk-helicone-")
        new_key = data["apiKey"]

        listed = client.get("/v1/api-keys").json()["data"]
        assert [k["name"] for k in listed] == ["ci", "test"]  # newest first
        shown = next(k for k in listed if k["id"] == data["id"])
        assert shown == {
            "id": data["id"],
            "name": "ci",
            "api_key_name": "ci",
            "preview": new_key[: len("sk-helicone-") + 4] + "..." + new_key[-4:],
            "api_key_hash": hashlib.sha256(new_key.encode()).hexdigest(),
            "key_permissions": "rw",
            "organization_id": before[0]["organization_id"],
            "created_at": shown["created_at"],
            "soft_delete": False,
            "temp_key": False,
            "current": False,
            "configured": False,
        }
        assert new_key not in str(listed)

    with server.api(new_key) as client:
        assert client.get("/v1/api-keys").status_code == 200
    with server.api(owner) as client:
        revoked = client.delete(f"/v1/api-keys/{data['id']}")
        assert revoked.json() == {"data": None, "error": None, "hashedKey": data["hashedKey"]}
        assert data["id"] not in {k["id"] for k in client.get("/v1/api-keys").json()["data"]}
        again = client.delete(f"/v1/api-keys/{data['id']}")
        assert again.status_code == 404
        assert again.json() == {"data": None, "error": "API key not found"}
    with server.api(new_key) as client:
        # Revocation is immediate: the key lookup cache forgets the key at once.
        assert client.get("/v1/api-keys").status_code == 401


def test_keys_of_another_organization_are_invisible_and_untouchable(server: InProcessServer):
    first, second = _org_key(server), _org_key(server)
    with server.api(first) as client:
        first_id = client.get("/v1/api-keys").json()["data"][0]["id"]
    with server.api(second) as client:
        assert first_id not in {k["id"] for k in client.get("/v1/api-keys").json()["data"]}
        assert client.delete(f"/v1/api-keys/{first_id}").status_code == 404
    with server.api(first) as client:
        assert client.get("/v1/api-keys").status_code == 200


def test_the_configured_server_key_cannot_be_revoked_here(server: InProcessServer):
    with server.api() as client:
        keys = client.get("/v1/api-keys").json()["data"]
        configured = next(k for k in keys if k["configured"])
        refused = client.delete(f"/v1/api-keys/{configured['id']}")
    assert refused.status_code == 400
    assert "HELIOGRAPH_API_KEY" in refused.json()["error"]
    with server.api() as client:
        assert client.get("/v1/api-keys").status_code == 200


def test_bad_bodies_and_missing_auth(server: InProcessServer):
    with server.api(_org_key(server)) as client:
        for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 201}, ["ci"]):
            answer = client.post("/v1/api-keys", json=body)
            assert answer.status_code == 400, body
            assert answer.json()["data"] is None and answer.json()["error"]
    assert server.request("GET", "/v1/api-keys").status_code == 401


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": "x" * 5000}, "Invalid request: body.name: String should have at most 200"),
        ({"name": " \t "}, "name must not be blank"),
        ({"name": "ci\x07"}, "name must not contain control characters"),
        ({"name": "ci\u0085x"}, "name must not contain control characters"),  # C1 NEL
    ],
)
def test_key_names_are_checked(server: InProcessServer, body: dict[str, str], error: str):
    with server.api(_org_key(server)) as client:
        answer = client.post("/v1/api-keys", json=body)
        assert answer.status_code == 400
        assert answer.json()["data"] is None and answer.json()["error"].startswith(error)
        # A lone surrogate, which only a JSON escape can carry, is refused as well.
        raw = client.post(
            "/v1/api-keys",
            content=b'{"name": "ci\\ud800"}',
            headers={"Content-Type": "application/json"},
        )
        assert raw.status_code == 400 and raw.json()["error"].startswith(
            "Invalid request: body.name"
        )
        assert [k["name"] for k in client.get("/v1/api-keys").json()["data"]] == ["test"]


def test_a_signed_in_browser_needs_the_csrf_token_to_create_keys(
    start_server: Callable[..., HeliographProcess],
):
    demo = start_server(env={"HELIOGRAPH_DEMO": "true"})
    with httpx.Client(base_url=demo.url, timeout=30) as browser:
        csrf = browser.get("/v1/auth/session").json()["data"]["csrfToken"]
        assert browser.get("/v1/api-keys").status_code == 200
        assert browser.post("/v1/api-keys", json={"name": "x"}).status_code == 403
        made = browser.post("/v1/api-keys", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 200
        key_id = made.json()["data"]["id"]
        assert browser.delete(f"/v1/api-keys/{key_id}").status_code == 403
        gone = browser.delete(f"/v1/api-keys/{key_id}", headers={"X-CSRF-Token": csrf})
        assert gone.status_code == 200


def test_helicones_create_body_and_answer(server: InProcessServer):
    owner = _org_key(server)
    with server.api(owner) as client:
        body = {"api_key_name": "reader", "key_permissions": "r"}
        created = client.post("/v1/api-keys", json=body)
        assert created.status_code == 200, created.text
        answer = created.json()
        # Helicone's answer, {id, apiKey, hashedKey}, at the top level; the envelope as well.
        key = answer["apiKey"]
        assert key.startswith("sk-helicone-")
        assert answer["hashedKey"] == hashlib.sha256(key.encode()).hexdigest()
        assert answer["data"] == {
            "id": answer["id"],
            "name": "reader",
            "apiKey": key,
            "hashedKey": answer["hashedKey"],
            "key_permissions": "r",
        }
        assert answer["error"] is None
        default = client.post("/v1/api-keys", json={"api_key_name": "full"}).json()
        assert default["data"]["key_permissions"] == "rw"
        listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["data"]}
        assert listed[answer["id"]]["key_permissions"] == "r"
        assert listed[answer["id"]]["api_key_hash"] == answer["hashedKey"]
        assert key not in str(listed)
        for bad in (
            {"api_key_name": "x", "key_permissions": "rwx"},
            {"api_key_name": "x", "name": "y"},
            {"key_permissions": "r"},
            {"api_key_name": "x", "extra": 1},
        ):
            refused = client.post("/v1/api-keys", json=bad)
            assert refused.status_code == 400, bad
            assert refused.json()["data"] is None and refused.json()["error"], bad


def test_rename_and_change_permissions(server: InProcessServer):
    owner = _org_key(server)
    with server.api(owner) as client:
        created = client.post("/v1/api-keys", json={"api_key_name": "ci"}).json()
        renamed = client.patch(f"/v1/api-keys/{created['id']}", json={"api_key_name": "  ci-2 "})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["hashedKey"] == created["hashedKey"]
        assert renamed.json()["data"]["api_key_name"] == "ci-2"
        assert renamed.json()["data"]["key_permissions"] == "rw"
        narrowed = client.patch(f"/v1/api-keys/{created['id']}", json={"key_permissions": "r"})
        assert narrowed.json()["data"]["key_permissions"] == "r"
        assert narrowed.json()["data"]["api_key_name"] == "ci-2"
        for bad in ({}, {"key_permissions": "x"}, {"api_key_name": " "}):
            refused = client.patch(f"/v1/api-keys/{created['id']}", json=bad)
            assert refused.status_code == 400, bad
        missing = client.patch(f"/v1/api-keys/{uuid.uuid4()}", json={"api_key_name": "x"})
        assert missing.status_code == 404
        assert missing.json() == {"data": None, "error": "API key not found"}
    with server.api(created["apiKey"]) as client:
        assert client.get("/v1/api-keys").status_code == 200
        assert client.post("/v1/api-keys", json={"api_key_name": "no"}).status_code == 403


def test_the_configured_key_keeps_its_permissions(server: InProcessServer):
    with server.api() as client:
        configured = next(k for k in client.get("/v1/api-keys").json()["data"] if k["configured"])
        refused = client.patch(f"/v1/api-keys/{configured['id']}", json={"key_permissions": "r"})
        assert refused.status_code == 400 and "HELIOGRAPH_API_KEY" in refused.json()["error"]
        assert client.post("/v1/api-keys", json={"api_key_name": "still-rw"}).status_code == 200


def test_another_organizations_key_cannot_be_changed(server: InProcessServer):
    first, second = _org_key(server), _org_key(server)
    with server.api(first) as client:
        first_id = client.get("/v1/api-keys").json()["data"][0]["id"]
    with server.api(second) as client:
        for change in ({"api_key_name": "mine"}, {"key_permissions": "r"}):
            answer = client.patch(f"/v1/api-keys/{first_id}", json=change)
            assert answer.status_code == 404
            assert answer.json() == {"data": None, "error": "API key not found"}
    with server.api(first) as client:
        mine = client.get("/v1/api-keys").json()["data"][0]
        assert (mine["api_key_name"], mine["key_permissions"]) == ("test", "rw")


def test_an_organization_has_a_bounded_number_of_live_keys(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("heliograph.meta.keys.MAX_LIVE_KEYS", 3)
    with server.api(_org_key(server)) as client:
        made = [client.post("/v1/api-keys", json={"api_key_name": f"k{i}"}) for i in range(3)]
        assert [answer.status_code for answer in made] == [200, 200, 400]
        assert made[2].json() == {
            "data": None,
            "error": "An organization has at most 3 live API keys: revoke one first",
        }
        client.delete(f"/v1/api-keys/{made[0].json()['id']}")
        assert client.post("/v1/api-keys", json={"api_key_name": "again"}).status_code == 200

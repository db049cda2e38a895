"""Helicone's vault (`/v1/vault/*`) over the organization's encrypted provider keys: add,
list, read, update; never the key in full; one organization's keys invisible to another."""

from __future__ import annotations

import uuid

import pytest

from tests.inprocess import InProcessServer

SECRET = "sk-proj-vault-test-0123456789abcdefXYZ"


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _org_key(server: InProcessServer) -> str:
    return server.create_key(f"vault-{uuid.uuid4().hex[:8]}")


def _add(server: InProcessServer, key: str, **body: str) -> str:
    with server.api(key) as client:
        added = client.post("/v1/vault/add", json={"key": SECRET, "provider": "openai", **body})
    assert added.status_code == 201, added.text
    assert set(added.json()) == {"data", "error"} and added.json()["error"] is None
    key_id: str = added.json()["data"]["id"]
    return key_id


def test_add_list_get_and_update_in_helicones_shapes(server: InProcessServer):
    owner = _org_key(server)
    first = _add(server, owner, name="Production")
    second = _add(server, owner, provider="OpenAI")  # no name: Helicone's "Untitled"
    with server.api(owner) as client:
        listed = client.get("/v1/vault/keys").json()["data"]
        assert [k["id"] for k in listed] == [second, first]  # newest first
        organization = listed[0]["org_id"]
        assert listed[1] == {
            "id": first,
            "org_id": organization,
            "provider_key": SECRET[:4] + "..." + SECRET[-4:],
            "provider_name": "openai",
            "provider_key_name": "Production",
            "provider_secret_key": None,
            "active": True,
            "created_at": listed[1]["created_at"],
        }
        assert listed[0]["provider_key_name"] == "Untitled"
        assert client.get(f"/v1/vault/key/{first}").json() == {"data": listed[1], "error": None}

        new_secret = "sk-proj-rotated-9876543210abcdefQRS"
        body = {"key": new_secret, "name": "Rotated", "active": False}
        updated = client.patch(f"/v1/vault/update/{first}", json=body)
        assert updated.status_code == 200 and updated.json() == {"data": None, "error": None}
        shown = client.get(f"/v1/vault/key/{first}").json()["data"]
        assert shown["provider_key"] == new_secret[:4] + "..." + new_secret[-4:]
        assert (shown["provider_key_name"], shown["active"]) == ("Rotated", False)
        # The same keys as /v1/provider-keys: one store.
        same = {k["id"] for k in client.get("/v1/provider-keys").json()["data"]}
        assert {first, second} <= same
        everything = str(client.get("/v1/vault/keys").json()) + str(shown)
    assert SECRET not in everything and new_secret not in everything


def test_an_inactive_key_is_kept_but_not_used(server: InProcessServer):
    owner = _org_key(server)
    older = _add(server, owner, name="older")
    newer = "sk-proj-newer-key-aaaaaaaaaaaaaaaa1111"
    with server.api(owner) as client:
        added = client.post("/v1/vault/add", json={"key": newer, "provider": "openai"})
        newer_id = added.json()["data"]["id"]
        organization = client.get("/v1/vault/keys").json()["data"][0]["org_id"]
    assert server.app is not None
    store = server.app.services.provider_keys
    assert server.run(store.keys_for, organization)["openai"] == newer
    with server.api(owner) as client:
        client.patch(f"/v1/vault/update/{newer_id}", json={"active": False})
    assert server.run(store.keys_for, organization)["openai"] == SECRET
    with server.api(owner) as client:
        client.patch(f"/v1/vault/update/{older}", json={"active": False})
    assert "openai" not in server.run(store.keys_for, organization)


def test_bad_bodies(server: InProcessServer):
    with server.api(_org_key(server)) as client:
        for body in (
            {"key": SECRET, "provider": "nope"},
            {"key": "", "provider": "openai"},
            {"provider": "openai"},
            {"key": SECRET, "provider": "openai", "extra": True},
        ):
            answer = client.post("/v1/vault/add", json=body)
            assert answer.status_code == 400, body
            assert answer.json()["data"] is None and answer.json()["error"], body
            assert SECRET not in answer.text
        key_id = client.post("/v1/vault/add", json={"key": SECRET, "provider": "openai"})
        changed = client.patch(
            f"/v1/vault/update/{key_id.json()['data']['id']}", json={"active": "maybe"}
        )
        assert changed.status_code == 400


def test_another_organizations_keys_are_invisible_and_untouchable(server: InProcessServer):
    first, second = _org_key(server), _org_key(server)
    mine = _add(server, first, name="mine")
    missing = str(uuid.uuid4())
    with server.api(second) as client:
        assert client.get("/v1/vault/keys").json() == {"data": [], "error": None}
        for key_id in (mine, missing):
            answer = client.get(f"/v1/vault/key/{key_id}")
            assert answer.status_code == 404
            assert answer.json() == {"data": None, "error": "Provider key not found"}
            changed = client.patch(f"/v1/vault/update/{key_id}", json={"name": "stolen"})
            assert changed.status_code == 404
    with server.api(first) as client:
        assert client.get(f"/v1/vault/key/{mine}").json()["data"]["provider_key_name"] == "mine"


def test_an_organization_has_a_bounded_number_of_provider_keys(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("heliograph.meta.provider_keys.MAX_PROVIDER_KEYS", 2)
    owner = _org_key(server)
    first = _add(server, owner)
    _add(server, owner)
    with server.api(owner) as client:
        refused = client.post("/v1/vault/add", json={"key": SECRET, "provider": "openai"})
        assert refused.status_code == 400
        assert refused.json()["error"].startswith("An organization has at most 2 provider keys")
        assert client.delete(f"/v1/provider-keys/{first}").status_code == 200
    assert _add(server, owner)

"""Helicone's provider-key routes (`/v1/api-keys/provider-key(s)`): the vault's keys under
Jawn's ApiKeyController names; previews only; one organization's keys invisible to another."""

from __future__ import annotations

import uuid

import pytest

from tests.inprocess import InProcessServer

SECRET = "sk-ant-helicone-shape-0123456789abcdefKLM"


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _org_key(server: InProcessServer) -> str:
    return server.create_key(f"pk-{uuid.uuid4().hex[:8]}")


def _create(server: InProcessServer, key: str) -> str:
    body = {"providerName": "anthropic", "providerKey": SECRET, "providerKeyName": "Claude"}
    with server.api(key) as client:
        created = client.post("/v1/api-keys/provider-key", json=body)
    assert created.status_code == 200, created.text
    answer = created.json()
    assert answer == {"data": {"id": answer["id"]}, "error": None, "id": answer["id"]}
    key_id: str = answer["id"]
    return key_id


def test_create_list_get_update_delete(server: InProcessServer):
    owner = _org_key(server)
    key_id = _create(server, owner)
    with server.api(owner) as client:
        (listed,) = client.get("/v1/api-keys/provider-keys").json()["data"]
        assert listed == {
            "id": key_id,
            "org_id": listed["org_id"],
            "provider_name": "anthropic",
            "provider_key_name": "Claude",
            "provider_key": SECRET[:4] + "..." + SECRET[-4:],
            "created_at": listed["created_at"],
            "soft_delete": False,
            "byok_enabled": True,
        }
        one = client.get(f"/v1/api-keys/provider-key/{key_id}").json()
        assert one == {"data": listed, "error": None}
        rotated = "sk-ant-rotated-aaaaaaaaaaaaaaaa9999"
        changed = client.patch(
            f"/v1/api-keys/provider-key/{key_id}", json={"providerKey": rotated}
        ).json()
        assert changed["id"] == key_id and changed["providerName"] == "anthropic"
        shown = client.get(f"/v1/vault/key/{key_id}").json()["data"]
        assert shown["provider_key"] == rotated[:4] + "..." + rotated[-4:]
        deleted = client.delete(f"/v1/api-keys/provider-key/{key_id}")
        assert deleted.json()["providerName"] == "anthropic"
        assert client.get("/v1/api-keys/provider-keys").json()["data"] == []
        assert client.delete(f"/v1/api-keys/provider-key/{key_id}").status_code == 404
        everything = str(listed) + str(one) + str(changed) + str(shown)
    assert SECRET not in everything and rotated not in everything


def test_bad_bodies(server: InProcessServer):
    with server.api(_org_key(server)) as client:
        for body in (
            {"providerName": "nope", "providerKey": SECRET},
            {"providerName": "openai", "providerKey": ""},
            {"providerName": "openai", "providerKey": SECRET, "providerSecretKey": "x"},
        ):
            answer = client.post("/v1/api-keys/provider-key", json=body)
            assert answer.status_code == 400, body
            assert answer.json()["data"] is None and SECRET not in answer.text


def test_another_organizations_keys(server: InProcessServer):
    first, second = _org_key(server), _org_key(server)
    key_id = _create(server, first)
    with server.api(second) as client:
        assert client.get("/v1/api-keys/provider-keys").json()["data"] == []
        path = f"/v1/api-keys/provider-key/{key_id}"
        assert client.get(path).status_code == 404
        assert client.patch(path, json={"providerKey": "sk-stolen-000000000000"}).status_code == 404
        assert client.delete(path).status_code == 404
    with server.api(first) as client:
        shown = client.get(f"/v1/api-keys/provider-key/{key_id}").json()["data"]
    assert shown["provider_key"] == SECRET[:4] + "..." + SECRET[-4:]

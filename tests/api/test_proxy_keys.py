"""Helicone's proxy keys: made over REST for one of the organization's provider keys, and
taken by the passthrough routes in place of both the provider key and Helicone-Auth. The
provider key goes only to its own provider's upstream; the fake provider proves which key
arrived (a key holding `fake-behaviour:status=418` makes it answer 418)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.inprocess import InProcessServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {
    "model": "claude-3-5-haiku-latest",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
OPENAI_KEY = "sk-proj-proxied-fake-behaviour:status=418"
ANTHROPIC_KEY = "sk-ant-proxied-fake-behaviour:status=418"


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _org_key(server: InProcessServer) -> str:
    return server.create_key(f"proxy-{uuid.uuid4().hex[:8]}")


def _vault_key(server: InProcessServer, owner: str, provider: str, secret: str) -> str:
    with server.api(owner) as client:
        added = client.post("/v1/vault/add", json={"key": secret, "provider": provider})
    assert added.status_code == 201, added.text
    key_id: str = added.json()["data"]["id"]
    return key_id


def _proxy_key(server: InProcessServer, owner: str, provider_key_id: str) -> dict[str, Any]:
    body = {"providerKeyId": provider_key_id, "proxyKeyName": "team-a"}
    with server.api(owner) as client:
        created = client.post("/v1/api-keys/proxy-key", json=body)
    assert created.status_code == 200, created.text
    answer: dict[str, Any] = created.json()
    return answer


def _chat(server: InProcessServer, key: str, **headers: str) -> Any:
    return server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}", **headers},
        json=CHAT,
        timeout=30,
    )


def test_create_list_and_delete_in_helicones_shape(server: InProcessServer):
    owner = _org_key(server)
    provider_key_id = _vault_key(server, owner, "openai", OPENAI_KEY)
    answer = _proxy_key(server, owner, provider_key_id)
    proxy_key, proxy_key_id = answer["proxyKey"], answer["proxyKeyId"]
    assert proxy_key.startswith("sk-helicone-proxy-") and proxy_key.endswith(proxy_key_id)
    assert answer == {
        "proxyKey": proxy_key,
        "proxyKeyId": proxy_key_id,
        "data": {"proxyKey": proxy_key, "proxyKeyId": proxy_key_id},
        "error": None,
    }
    with server.api(owner) as client:
        (listed,) = client.get("/v1/api-keys/proxy-keys").json()["data"]
        assert listed == {
            "id": proxy_key_id,
            "helicone_proxy_key_name": "team-a",
            "preview": proxy_key[: len("sk-helicone-proxy-") + 4] + "..." + proxy_key[-4:],
            "org_id": listed["org_id"],
            "provider_key_id": provider_key_id,
            "provider_name": "openai",
            "created_at": listed["created_at"],
        }
        assert proxy_key not in str(listed)
        missing = {"providerKeyId": str(uuid.uuid4()), "proxyKeyName": "x"}
        assert client.post("/v1/api-keys/proxy-key", json=missing).status_code == 404
        blank = {"providerKeyId": provider_key_id, "proxyKeyName": " "}
        assert client.post("/v1/api-keys/proxy-key", json=blank).status_code == 400
        deleted = client.delete(f"/v1/api-keys/proxy-key/{proxy_key_id}")
        assert deleted.json() == {"data": None, "error": None}
        assert client.get("/v1/api-keys/proxy-keys").json()["data"] == []
        assert client.delete(f"/v1/api-keys/proxy-key/{proxy_key_id}").status_code == 404
    # Deleted: it stops working at once.
    assert _chat(server, proxy_key).status_code == 401


def test_a_proxy_key_sends_its_provider_key_and_logs_for_its_organization(
    server: InProcessServer,
):
    owner = _org_key(server)
    proxy_key = _proxy_key(server, owner, _vault_key(server, owner, "openai", OPENAI_KEY))
    request_id = str(uuid.uuid4())
    # No Helicone-Auth and no provider key: the proxy key stands for both.
    answer = _chat(server, proxy_key["proxyKey"], **{"Helicone-Request-Id": request_id})
    assert answer.status_code == 418, answer.text  # the vault key reached the provider
    row = server.wait_for_request(request_id, owner)
    assert row["request_id"] == request_id and row["provider"] == "OPENAI"
    assert OPENAI_KEY not in str(row) and proxy_key["proxyKey"] not in str(row)
    # A plain provider key still goes upstream untouched.
    plain = _chat(server, "sk-client-own-key", **{"Helicone-Auth": f"Bearer {owner}"})
    assert plain.status_code == 200


def test_an_anthropic_proxy_key_is_sent_as_x_api_key(server: InProcessServer):
    owner = _org_key(server)
    proxy_key = _proxy_key(server, owner, _vault_key(server, owner, "anthropic", ANTHROPIC_KEY))
    answer = server.request(
        "POST",
        "/anthropic/v1/messages",
        headers={
            "Authorization": f"Bearer {proxy_key['proxyKey']}",
            "x-api-key": "sk-ant-client-key",
            "anthropic-version": "2023-06-01",
        },
        json=MESSAGES,
        timeout=30,
    )
    assert answer.status_code == 418, answer.text


def test_a_proxy_key_reaches_only_its_own_providers_url(server: InProcessServer):
    owner = _org_key(server)
    key = _proxy_key(server, owner, _vault_key(server, owner, "openai", OPENAI_KEY))["proxyKey"]
    other_route = server.request(
        "POST", "/anthropic/v1/messages", headers={"Authorization": f"Bearer {key}"}, json=MESSAGES
    )
    assert other_route.status_code == 403
    assert "stands for a openai key" in other_route.json()["error"]["message"]
    for header, value in (
        ("Helicone-OpenAI-Api-Base", "https://evil.example.com"),
        ("Helicone-Fallbacks", '[{"target-url": "https://evil.example.com"}]'),
    ):
        refused = _chat(server, key, **{header: value})
        assert refused.status_code == 403, header
        assert "provider's own URL" in refused.json()["error"]["message"]


def test_a_proxy_key_is_no_api_key_and_follows_its_provider_key(server: InProcessServer):
    owner = _org_key(server)
    provider_key_id = _vault_key(server, owner, "openai", OPENAI_KEY)
    key = _proxy_key(server, owner, provider_key_id)["proxyKey"]
    with server.api(key) as client:
        assert client.get("/v1/api-keys").status_code == 401
    assert (
        server.request(
            "POST", "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=CHAT
        ).status_code
        == 401
    )  # the unified gateway takes Heliograph keys only
    assert _chat(server, "sk-helicone-proxy-made-up-" + str(uuid.uuid4())).status_code == 401
    with server.api(owner) as client:
        client.patch(f"/v1/vault/update/{provider_key_id}", json={"active": False})
    fresh = _proxy_key(server, owner, provider_key_id)["proxyKey"]
    assert _chat(server, fresh).status_code == 401  # its provider key is inactive


def test_organizations_are_kept_apart(server: InProcessServer):
    first, second = _org_key(server), _org_key(server)
    provider_key_id = _vault_key(server, first, "openai", OPENAI_KEY)
    made = _proxy_key(server, first, provider_key_id)
    with server.api(second) as client:
        body = {"providerKeyId": provider_key_id, "proxyKeyName": "stolen"}
        refused = client.post("/v1/api-keys/proxy-key", json=body)
        assert refused.status_code == 404
        assert refused.json() == {"data": None, "error": "Provider key not found"}
        assert client.get("/v1/api-keys/proxy-keys").json()["data"] == []
        assert client.delete(f"/v1/api-keys/proxy-key/{made['proxyKeyId']}").status_code == 404
    mixed = _chat(server, made["proxyKey"], **{"Helicone-Auth": f"Bearer {second}"})
    assert mixed.status_code == 403
    invalid = _chat(server, made["proxyKey"], **{"Helicone-Auth": "Bearer sk-helicone-wrong"})
    assert invalid.status_code == 401
    assert (
        _chat(server, made["proxyKey"], **{"Helicone-Auth": f"Bearer {first}"}).status_code == 418
    )

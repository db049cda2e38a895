"""POST/GET/DELETE /v1/webhooks over HTTP: Helicone's shapes, validation, secrets, tenancy."""

from __future__ import annotations

import re
import uuid

import orjson
import pytest

from tests.inprocess import InProcessServer
from tests.webhooks.helpers import create_webhook, new_org


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def test_create_list_delete_in_helicones_shapes(server: InProcessServer):
    key = new_org(server, "wh-crud")
    created = create_webhook(
        server,
        key,
        "https://example.com/hooks/llm",
        config={"sampleRate": 50, "propertyFilters": [{"key": "env", "value": "prod"}]},
        includeData=False,
    )
    assert set(created) == {"id", "created_at", "destination", "version", "config", "hmac_key"}
    assert uuid.UUID(created["id"])
    assert created["destination"] == "https://example.com/hooks/llm"
    assert created["version"] == "2024-10-22"
    assert re.fullmatch(r"[0-9a-f]{64}", created["hmac_key"]), "32 random bytes, hex"
    # Helicone's GET documents `config` as a string: the stored JSON.
    assert orjson.loads(created["config"]) == {
        "sampleRate": 50,
        "propertyFilters": [{"key": "env", "value": "prod"}],
        "includeData": False,
    }

    with server.api(key) as client:
        listed = client.get("/v1/webhooks").json()
    assert listed["error"] is None
    assert [hook["id"] for hook in listed["data"]] == [created["id"]]
    shown = listed["data"][0]
    assert shown["hmac_key"] == created["hmac_key"][:4] + "..." + created["hmac_key"][-4:]
    assert created["hmac_key"] not in orjson.dumps(listed).decode(), "the secret is shown once"
    assert {k: v for k, v in shown.items() if k != "hmac_key"} == {
        k: v for k, v in created.items() if k != "hmac_key"
    }

    with server.api(key) as client:
        deleted = client.delete(f"/v1/webhooks/{created['id']}")
        assert deleted.status_code == 200 and deleted.json() == {"data": None, "error": None}
        assert client.get("/v1/webhooks").json() == {"data": [], "error": None}
        again = client.delete(f"/v1/webhooks/{created['id']}")
    assert again.status_code == 404
    assert again.json() == {"data": None, "error": "Webhook not found"}


def test_defaults_follow_helicone(server: InProcessServer):
    key = new_org(server, "wh-defaults")
    created = create_webhook(server, key, "http://hooks.internal:8080/x", config={})
    assert orjson.loads(created["config"]) == {
        "sampleRate": 100,
        "propertyFilters": [],
        "includeData": True,
    }


def test_each_org_sees_and_deletes_only_its_own(server: InProcessServer):
    owner = new_org(server, "wh-owner")
    intruder = new_org(server, "wh-intruder")
    created = create_webhook(server, owner, "https://example.com/mine", config={})
    with server.api(intruder) as client:
        assert client.get("/v1/webhooks").json() == {"data": [], "error": None}
        deleted = client.delete(f"/v1/webhooks/{created['id']}")
        assert deleted.status_code == 404
        log = client.get(f"/v1/webhooks/{created['id']}/deliveries")
        assert log.status_code == 404 and log.json()["error"] == "Webhook not found"
    with server.api(owner) as client:
        assert [h["id"] for h in client.get("/v1/webhooks").json()["data"]] == [created["id"]]
        assert client.get(f"/v1/webhooks/{created['id']}/deliveries").json() == {
            "data": [],
            "error": None,
        }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {}}, "destination"),
        ({"destination": "", "config": {}}, "destination"),
        ({"destination": "ftp://example.com/x", "config": {}}, "destination"),
        ({"destination": "example.com/hook", "config": {}}, "destination"),
        ({"destination": "https://", "config": {}}, "destination"),
        ({"destination": "https://exa mple.com", "config": {}}, "destination"),
        ({"destination": 42, "config": {}}, "destination"),
        ({"destination": "https://exa\u0000mple.com", "config": {}}, "destination"),
        ({"destination": "https://example.com:99999/x", "config": {}}, "destination"),
        ({"destination": "https://" + "a" * 2050 + ".com", "config": {}}, "destination"),
        ({"destination": "https://example.com"}, "config"),
        ({"destination": "https://example.com", "config": []}, "config"),
        (
            {"destination": "https://example.com", "config": {"sampleRate": 101}},
            "config.sampleRate",
        ),
        ({"destination": "https://example.com", "config": {"sampleRate": -1}}, "config.sampleRate"),
        (
            {"destination": "https://example.com", "config": {"sampleRate": "50"}},
            "config.sampleRate",
        ),
        (
            {"destination": "https://example.com", "config": {"sampleRate": True}},
            "config.sampleRate",
        ),
        (
            {"destination": "https://example.com", "config": {"propertyFilters": {"a": "b"}}},
            "config.propertyFilters",
        ),
        (
            {"destination": "https://example.com", "config": {"propertyFilters": [{"key": "a"}]}},
            "config.propertyFilters[0]",
        ),
        (
            {
                "destination": "https://example.com",
                "config": {"propertyFilters": [{"key": "a", "value": 1}]},
            },
            "config.propertyFilters[0]",
        ),
        ({"destination": "https://example.com", "config": {}, "includeData": "no"}, "includeData"),
        (
            {"destination": "https://example.com", "config": {}, "include_data": True},
            "include_data",
        ),
    ],
)
def test_bad_bodies_are_400_naming_the_field(server: InProcessServer, body: object, field: str):
    with server.api() as client:
        response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None
    assert response.json()["error"].startswith(field + ":"), response.json()["error"]


def test_non_object_bodies_and_bad_log_queries_are_400(server: InProcessServer):
    key = new_org(server, "wh-bad")
    with server.api(key) as client:
        for content in (b"not json", b"[]", b'"x"'):
            response = client.post(
                "/v1/webhooks", content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400
            assert response.json() == {
                "data": None,
                "error": "Invalid request: the body must be a JSON object",
            }
    created = create_webhook(server, key, "https://example.com/x", config={})
    with server.api(key) as client:
        for params, field in (
            ({"limit": 0}, "Invalid request: query.limit:"),
            ({"limit": 1001}, "Invalid request: query.limit:"),
            ({"offset": -1}, "Invalid request: query.offset:"),
            ({"status": "sent"}, "Invalid request: query.status:"),
            ({"requestId": "req_1\u0000"}, "requestId:"),
        ):
            response = client.get(f"/v1/webhooks/{created['id']}/deliveries", params=params)
            assert response.status_code == 400
            assert response.json()["error"].startswith(field), response.json()


def test_unauthenticated_calls_are_401(server: InProcessServer):
    for method, path in (
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/webhooks"),
        ("DELETE", f"/v1/webhooks/{uuid.uuid4()}"),
        ("GET", f"/v1/webhooks/{uuid.uuid4()}/deliveries"),
    ):
        response = server.request(method, path, json={})
        assert response.status_code == 401
        assert response.json()["data"] is None


def test_unknown_and_malformed_ids_are_404(server: InProcessServer):
    with server.api() as client:
        for webhook_id in (str(uuid.uuid4()), "not-a-uuid"):
            assert client.delete(f"/v1/webhooks/{webhook_id}").status_code == 404
            assert client.get(f"/v1/webhooks/{webhook_id}/deliveries").status_code == 404

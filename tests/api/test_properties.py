"""Updating properties after the fact, property endpoints, and property header limits."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.inprocess import InProcessServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def logged_call(server: InProcessServer, key: str | None = None, **headers: str) -> str:
    auth = {"Helicone-Auth": f"Bearer {key or server.api_key}"}
    with server.client({**auth, **headers}) as client:
        response = client.post("/openai/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    request_id = response.headers["helicone-id"]
    server.wait_for_request(request_id, key)
    return request_id


def put(
    server: InProcessServer, request_id: str, body: object, key: str | None = None
) -> httpx.Response:
    with server.api(key) as client:
        return client.put(f"/v1/request/{request_id}/property", json=body)


def properties_of(server: InProcessServer, request_id: str) -> dict[str, str]:
    return dict(server.wait_for_request(request_id)["properties"])


def test_both_documented_bodies_update_properties(server: InProcessServer):
    request_id = logged_call(server, **{"Helicone-Property-Environment": "staging"})
    single = put(server, request_id, {"key": "environment", "value": "production"})
    assert single.status_code == 200 and single.json() == {"data": None, "error": None}
    flat = put(server, request_id, {"PostProcessed": "true", "customer_id": "cust_456"})
    assert flat.json() == {"data": None, "error": None}
    assert properties_of(server, request_id) == {
        "Environment": "production",  # updated in place: keys match case-insensitively
        "PostProcessed": "true",
        "customer_id": "cust_456",
    }
    with server.api() as client:
        found = client.post(
            "/v1/request/query-clickhouse",
            json={
                "filter": {
                    "request_response_rmt": {"properties": {"customer_id": {"equals": "cust_456"}}}
                }
            },
        ).json()["data"]
    assert [row["request_id"] for row in found] == [request_id]
    old = {"request_response_rmt": {"properties": {"Environment": {"equals": "staging"}}}}
    with server.api() as client:
        stale = client.post("/v1/request/query-clickhouse", json={"filter": old}).json()["data"]
    assert request_id not in {row["request_id"] for row in stale}, "only the newest version is seen"


def test_unknown_malformed_and_foreign_ids_are_not_found(server: InProcessServer):
    assert put(server, "req_123abc", {"key": "a", "value": "b"}).json() == {
        "data": None,
        "error": "Request not found",
    }
    assert put(server, str(uuid.uuid4()), {"key": "a", "value": "b"}).status_code == 404
    request_id = logged_call(server)
    other = server.create_key("property-intruder")
    response = put(server, request_id, {"key": "hacked", "value": "yes"}, key=other)
    assert response.status_code == 404 and response.json()["error"] == "Request not found"
    assert "hacked" not in properties_of(server, request_id)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {},
        {"key": "a", "value": {"nested": 1}},
        {"key": ["a"], "value": "b"},
        {"": "x"},
        None,
    ],
)
def test_bad_bodies_are_400(server: InProcessServer, body: object):
    response = put(server, str(uuid.uuid4()), body)
    assert response.status_code == 400
    assert response.json()["data"] is None and response.json()["error"]


def test_fifty_concurrent_updates_of_distinct_keys_keep_every_key(server: InProcessServer):
    request_id = logged_call(server, **{"Helicone-Property-Original": "kept"})

    async def burst() -> list[int]:
        async with server.async_client({"Authorization": f"Bearer {server.api_key}"}) as client:
            responses = await asyncio.gather(
                *(
                    client.put(
                        f"/v1/request/{request_id}/property",
                        json={"key": f"k{i}", "value": f"v{i}"},
                    )
                    for i in range(50)
                )
            )
        return [r.status_code for r in responses]

    assert server.run(burst) == [200] * 50
    expected = {"Original": "kept"} | {f"k{i}": f"v{i}" for i in range(50)}
    assert properties_of(server, request_id) == expected


def test_property_keys_values_and_metrics(server: InProcessServer):
    key = server.new_organization("properties")  # sees only its own rows' properties
    for env, app in [("production", "web"), ("production", "mobile"), ("staging", "web")]:
        properties = {"Helicone-Property-Environment": env, "Helicone-Property-App": app}
        logged_call(server, key, **properties)
    logged_call(server, key, **{"Helicone-Session-Id": "s1"})
    with server.api(key) as client:
        keys = client.post("/v1/property/query", json={}).json()
        assert keys == {
            "data": [{"property": "App", "count": 3}, {"property": "Environment", "count": 3}],
            "error": None,
        }
        values = client.post("/v1/property/environment/search", json={"searchTerm": "PROD"}).json()[
            "data"
        ]
        assert values == ["production"]  # Helicone's string[]
        everything = client.post("/v1/property/Environment/search", json={}).json()
        assert everything == {"data": ["production", "staging"], "error": None}  # most used first
        metrics = client.post("/v1/property/App/top-costs", json={}).json()["data"]
    assert {m["value"]: m["requests"] for m in metrics} == {"web": 2, "mobile": 1}
    assert all(m["cost"] > 0 for m in metrics)


def test_long_properties_warn_and_oversized_ones_are_refused(server: InProcessServer):
    with server.client({**server.auth, "Helicone-Property-Essay": "x" * 1500}) as client:
        response = client.post("/openai/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert "exceeds 1000 chars" in response.headers["helicone-warning"]
    assert properties_of(server, response.headers["helicone-id"])["Essay"] == "x" * 1500

    huge = {f"Helicone-Property-Big{i}": "y" * 10_000 for i in range(7)}
    with server.client({**server.auth, **huge}) as client:
        refused = client.post("/openai/v1/chat/completions", json={**CHAT, "messages": []})
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]  # a proxy route: OpenAI's error object
    assert message == "Helicone-Property-* headers total 70028 bytes; the limit is 65536"


def test_per_request_property_wins_over_global(server: InProcessServer):
    import openai

    client = openai.OpenAI(
        api_key="sk-provider",
        base_url=server.url + "/openai/v1",
        default_headers={
            **server.auth,
            "Helicone-Property-Environment": "production",
            "Helicone-Property-App": "idea_generator",
        },
        http_client=server.client(),  # the SDK, into the in-process app
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"Helicone-Property-Environment": "staging"},
    )
    stored = properties_of(server, raw.headers["helicone-id"])
    assert stored == {"environment": "staging", "app": "idea_generator"}


def test_property_keys_differing_in_case_are_listed_once_under_the_most_used(
    server: InProcessServer,
):
    key = server.new_organization("property-case")
    logged_call(server, key, **{"Helicone-Property-Environment": "production"})
    logged_call(server, key, **{"Helicone-Property-Environment": "staging"})
    logged_call(server, key, **{"helicone-property-environment": "production"})  # HTTP/2, SDKs
    logged_call(server, key, **{"helicone-property-app": "web"})
    logged_call(server, key, **{"Helicone-Property-APP": "web"})  # a tie: first in byte order
    # One request with both casings (two headers) is one request carrying the property.
    with server.client({"Helicone-Auth": f"Bearer {key}"}) as client:
        both = [("Helicone-Property-Environment", "a"), ("helicone-property-environment", "b")]
        response = client.post("/openai/v1/chat/completions", json=CHAT, headers=both)
    assert response.status_code == 200
    row = server.wait_for_request(response.headers["helicone-id"], key)
    assert row["properties"] == {"Environment": "a", "environment": "b"}
    with server.api(key) as client:
        keys = client.post("/v1/property/query", json={}).json()
    assert keys == {
        "data": [{"property": "Environment", "count": 4}, {"property": "APP", "count": 2}],
        "error": None,
    }


def test_property_search_answers_only_the_caller_s_values(server: InProcessServer):
    mine, theirs = server.new_organization("search-mine"), server.new_organization("search-other")
    logged_call(server, mine, **{"Helicone-Property-Tier": "gold"})
    logged_call(server, theirs, **{"Helicone-Property-Tier": "golden-secret"})
    with server.api(mine) as client:
        found = client.post("/v1/property/Tier/search", json={"searchTerm": "gold"})
        bad = client.post("/v1/property/Tier/search", json={"limit": 0})
    assert found.json() == {"data": ["gold"], "error": None}
    assert bad.status_code == 400 and bad.json()["data"] is None

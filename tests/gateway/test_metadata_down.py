"""The fault-injection soak's finding, end to end: the metadata PostgreSQL stops.

A real `heliograph serve` on a private cluster (tests/postgres_cluster.py), with its key
caches shortened to a second. Once PostgreSQL is stopped and the caches have expired, calls
with keys seen before the outage are still served and logged; a key never seen is refused
with 503 in each surface's error shape, never a 500; and once PostgreSQL is back, that key
works without a restart.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from heliograph.mock_provider import FakeProvider
from tests.gateway.conftest import gateway_env
from tests.postgres_cluster import PostgresCluster
from tests.server import HeliographProcess

UNAVAILABLE = "Metadata store unavailable; retry shortly"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def proxied(server: HeliographProcess, key: str) -> httpx.Response:
    """A passthrough call (/openai/...), Helicone's envelope on errors."""
    headers = {"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": str(uuid.uuid4())}
    return httpx.post(server.url + "/openai/v1/chat/completions", headers=headers, json=CHAT)


def unified(server: HeliographProcess, key: str) -> httpx.Response:
    """A unified gateway call (/v1/chat/completions), OpenAI's error shape."""
    headers = {"Authorization": f"Bearer {key}", "Helicone-Request-Id": str(uuid.uuid4())}
    return httpx.post(server.url + "/v1/chat/completions", headers=headers, json=CHAT)


def prompted(server: HeliographProcess, key: str, prompt_id: str) -> httpx.Response:
    """A unified gateway call assembled from a saved prompt."""
    headers = {"Authorization": f"Bearer {key}", "Helicone-Request-Id": str(uuid.uuid4())}
    body = {"prompt_id": prompt_id, "inputs": {}}
    return httpx.post(server.url + "/v1/chat/completions", headers=headers, json=body)


def new_prompt(server: HeliographProcess, name: str) -> str:
    with server.api() as client:
        created = client.post("/v1/prompt-2025", json={"name": name, "promptBody": CHAT})
    assert created.status_code == 201, created.text
    prompt_id: str = created.json()["data"]["id"]
    return prompt_id


def health(server: HeliographProcess) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(server.url + "/healthz").json()
    return answer


def rest_query(server: HeliographProcess, key: str) -> httpx.Response:
    with server.api(key) as client:
        return client.post("/v1/request/query", json={"filter": "all", "limit": 1})


def test_cached_keys_are_served_while_postgres_is_stopped_and_unknown_ones_get_503(
    private_postgres: PostgresCluster,  # first: torn down after the server has stopped
    start_server: Callable[..., HeliographProcess],
    fake_provider: FakeProvider,
):
    server = start_server(
        env=gateway_env(
            fake_provider,
            HELIOGRAPH_DATABASE_URL=private_postgres.url,
            HELIOGRAPH_KEY_CACHE_S="1",
            HELIOGRAPH_PROVIDER_KEY_CACHE_S="1",
            HELIOGRAPH_PROMPT_CACHE_S="1",
        )
    )
    never_seen = server.create_key("acme")  # stored before the outage, first used during it
    assert proxied(server, server.api_key).status_code == 200  # the key is cached
    assert unified(server, server.api_key).status_code == 200  # and the org's provider keys
    used, unused = new_prompt(server, "used"), new_prompt(server, "first used in the outage")
    assert prompted(server, server.api_key, used).status_code == 200  # its version is cached

    private_postgres.stop()
    time.sleep(1.5)  # past both caches' lifetimes

    for call in (proxied, unified):
        served = call(server, server.api_key)
        assert served.status_code == 200, served.text
        row = server.wait_for_request(served.headers["helicone-id"])
        assert row["response_status"] == 200

    legacy = {"Helicone-Prompt-Id": "story", "Helicone-Auth": f"Bearer {server.api_key}"}
    tagged = '<helicone-prompt-input key="subject">tea</helicone-prompt-input>'
    story = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": tagged}]}
    served = httpx.post(server.url + "/openai/v1/chat/completions", headers=legacy, json=story)
    assert served.status_code == 200, served.text  # its record cannot be written: counted
    deadline = time.monotonic() + 10
    while (records := health(server)["legacy_prompt_records"])["lost"] == 0:
        assert time.monotonic() < deadline, records
        time.sleep(0.1)
    assert records == {"pending": 0, "dropped": 0, "lost": 1}

    served = prompted(server, server.api_key, used)  # the last known version stands
    assert served.status_code == 200, served.text
    refused = prompted(server, server.api_key, unused)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["message"] == UNAVAILABLE

    refused = proxied(server, never_seen)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["message"] == UNAVAILABLE
    assert refused.headers["retry-after"] == "5"
    refused = unified(server, never_seen)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["message"] == UNAVAILABLE
    refused = rest_query(server, never_seen)
    assert refused.status_code == 503, refused.text
    assert refused.json() == {"data": None, "error": UNAVAILABLE}

    private_postgres.start()
    deadline = time.monotonic() + 15  # the database is asked again at most every 5 s
    while (answer := proxied(server, never_seen)).status_code == 503:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)
    assert answer.status_code == 200, answer.text
    assert rest_query(server, never_seen).status_code == 200

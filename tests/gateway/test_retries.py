"""Helicone-Retry-* headers: attempts counted on the fake provider's side."""

from __future__ import annotations

import uuid

import httpx

from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess

RETRY = {
    "Helicone-Retry-Enabled": "true",
    "helicone-retry-num": "3",
    "helicone-retry-factor": "2",
    "helicone-retry-min-timeout": "10",
    "helicone-retry-max-timeout": "50",
}
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def calls_with(fake: FakeProvider, key: str) -> int:
    return sum(1 for call in fake.calls if call.headers.get("x-fake-key") == key)


def post(server: HeliographProcess, **headers: str) -> httpx.Response:
    return httpx.post(
        server.url + "/openai/v1/chat/completions", headers={**server.auth, **headers}, json=BODY
    )


def test_passthrough_retries_until_success(server: HeliographProcess, fake_provider: FakeProvider):
    key = str(uuid.uuid4())
    response = post(
        server, **RETRY, **{"x-fake-key": key, "x-fake-behaviour": "fail_first=2,status=503"}
    )
    assert response.status_code == 200
    assert calls_with(fake_provider, key) == 3
    row = server.wait_for_request(response.headers["helicone-id"])
    assert row["response_status"] == 200


def test_passthrough_gives_up_after_the_retry_budget(
    server: HeliographProcess, fake_provider: FakeProvider
):
    key = str(uuid.uuid4())
    # 429 carries Retry-After: 1; the wait is capped by the max timeout (50 ms).
    response = post(server, **RETRY, **{"x-fake-key": key, "x-fake-behaviour": "status=429"})
    assert response.status_code == 429
    assert calls_with(fake_provider, key) == 4  # the first try and 3 retries


def test_no_retry_headers_means_one_attempt(server: HeliographProcess, fake_provider: FakeProvider):
    key = str(uuid.uuid4())
    response = post(server, **{"x-fake-key": key, "x-fake-behaviour": "fail_first=1,status=500"})
    assert response.status_code == 500
    assert calls_with(fake_provider, key) == 1


def test_client_errors_are_not_retried(server: HeliographProcess, fake_provider: FakeProvider):
    key = str(uuid.uuid4())
    response = post(server, **RETRY, **{"x-fake-key": key, "x-fake-behaviour": "status=400"})
    assert response.status_code == 400
    assert calls_with(fake_provider, key) == 1


def test_bad_retry_header_is_a_clear_400(server: HeliographProcess):
    response = post(server, **{**RETRY, "helicone-retry-num": "lots"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "helicone-retry-num must be a number, not 'lots'"


def test_helicone_fallbacks_on_the_generic_gateway(
    server: HeliographProcess, fake_provider: FakeProvider
):
    import json

    fallbacks = [
        {"target-url": "http://127.0.0.1:9", "onCodes": [429]},  # unreachable: next
        {
            "target-url": fake_provider.url,
            "headers": {"x-fake-behaviour": "status=503"},
            "onCodes": [{"from": 500, "to": 599}],
        },
        {
            "target-url": fake_provider.url,
            "headers": {"Authorization": "Bearer fallback-key"},
            "bodyKeyOverride": {"model": "gpt-4o"},
        },
    ]
    response = httpx.post(
        server.url + "/gateway/v1/chat/completions",
        headers={
            **server.auth,
            "Helicone-Fallbacks": json.dumps(fallbacks),
            "Authorization": "Bearer first",
        },
        json=BODY,
    )
    assert response.status_code == 200
    assert response.headers["helicone-fallback-index"] == "2"
    assert response.json()["model"] == "gpt-4o"
    last = fake_provider.calls[-1]
    assert (
        last.headers["authorization"] == "Bearer fallback-key" and last.json()["model"] == "gpt-4o"
    )
    row = server.wait_for_request(response.headers["helicone-id"])
    assert row["request_model"] == "gpt-4o"  # the model that answered, as bodyKeyOverride set it
    assert row["response_status"] == 200


def test_malformed_fallbacks_are_a_clear_400(server: HeliographProcess):
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Fallbacks": '[{"target-url": "ftp://x"}]'},
        json=BODY,
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        'Helicone-Fallbacks[0]: "target-url": the URL must start with http:// or https://'
    )

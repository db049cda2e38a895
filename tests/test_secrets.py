"""Provider keys and Heliograph keys never reach stored rows, error messages or logs."""

from __future__ import annotations

import json
import uuid

import httpx

from heliograph.mock_provider import FakeProvider
from heliograph.redact import redact_url
from tests.server import HeliographProcess

PROVIDER_KEY = "sk-proj-SECRETPROVIDERKEY0123456789"
QUERY_KEY = "AIzaSECRETQUERYKEY987654321"


def test_no_secret_in_rows_errors_or_server_log(
    server: HeliographProcess, fake_provider: FakeProvider
):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "Authorization": f"Bearer {PROVIDER_KEY}",
            "Helicone-Request-Id": ids[0],
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    httpx.post(
        server.url
        + f"/gateway/v1beta/models/gemini-2.0-flash:generateContent?key={QUERY_KEY}&alt=json",
        headers={
            **server.auth,
            "Helicone-Target-Url": fake_provider.url,
            "Helicone-Request-Id": ids[1],
        },
        json={"contents": [{"parts": [{"text": "hi"}]}]},
    )
    failed = httpx.post(
        server.url + f"/gateway/v1/chat?key={QUERY_KEY}",
        headers={
            **server.auth,
            "Helicone-Target-Url": "http://127.0.0.1:9",
            "Authorization": f"Bearer {PROVIDER_KEY}",
            "Helicone-Request-Id": ids[2],
        },
        json={},
    )
    assert failed.status_code == 502
    assert QUERY_KEY not in failed.text and PROVIDER_KEY not in failed.text

    logged = [server.wait_for_request(rid) for rid in ids]
    del logged[1]["response_body"]  # the fake's echo route repeats the URL it was sent
    rows = [json.dumps(row) for row in logged]
    for dumped in rows:
        assert PROVIDER_KEY not in dumped
        assert QUERY_KEY not in dumped
        assert server.api_key not in dumped
    assert "key=%5BREDACTED%5D" in rows[1] or "key=[REDACTED]" in rows[1]
    log = server.log()
    for secret in (PROVIDER_KEY, QUERY_KEY, server.api_key):
        assert secret not in log


def test_redact_url_keeps_other_parameters():
    assert (
        redact_url("https://x.test/a?key=abc&alt=json")
        == "https://x.test/a?key=[REDACTED]&alt=json"
    )
    assert redact_url("https://x.test/a?alt=json") == "https://x.test/a?alt=json"
    assert redact_url("https://x.test/a") == "https://x.test/a"


def test_vault_and_proxy_keys_stay_out_of_answers_rows_and_the_log(server: HeliographProcess):
    vault_secret = "sk-proj-SECRETVAULTKEY" + uuid.uuid4().hex
    owner = server.create_key(f"secrets-{uuid.uuid4().hex[:8]}")  # its own organization
    with server.api(owner) as client:
        added = client.post("/v1/vault/add", json={"key": vault_secret, "provider": "openai"})
        key_id = added.json()["data"]["id"]
        body = {"providerKeyId": key_id, "proxyKeyName": "secrets-test"}
        proxy_key = client.post("/v1/api-keys/proxy-key", json=body).json()["proxyKey"]
        answers = [
            added.text,
            client.get("/v1/vault/keys").text,
            client.get(f"/v1/vault/key/{key_id}").text,
            client.get("/v1/api-keys/provider-keys").text,
            client.get("/v1/api-keys/proxy-keys").text,
        ]
    request_id = str(uuid.uuid4())
    called = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={"Authorization": f"Bearer {proxy_key}", "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert called.status_code == 200, called.text
    refused = httpx.post(
        server.url + "/anthropic/v1/messages",
        headers={"Authorization": f"Bearer {proxy_key}"},
        json={"model": "claude-3-5-haiku-latest", "max_tokens": 8, "messages": []},
        timeout=30,
    )
    assert refused.status_code == 403
    row = json.dumps(server.wait_for_request(request_id, owner))
    log = server.log()
    for text in (*answers, called.text, refused.text, row, log):
        assert vault_secret not in text
        assert proxy_key not in text

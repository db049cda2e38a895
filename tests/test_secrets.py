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

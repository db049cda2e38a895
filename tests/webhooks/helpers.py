"""Creating webhooks, making logged calls and reading the delivery log over real HTTP."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.inprocess import AnyServer


def new_org(server: AnyServer, prefix: str) -> str:
    """The key of a fresh organization, so tests sharing a server never see each other."""
    return server.create_key(f"{prefix}-{uuid.uuid4().hex[:8]}")


def create_webhook(server: AnyServer, key: str, destination: str, **fields: Any) -> dict[str, Any]:
    body = {"destination": destination, "config": fields.pop("config", {}), **fields}
    with server.api(key) as client:
        response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


def logged_call(server: AnyServer, key: str, **headers: str) -> str:
    """One proxied chat completion for the key's organization; its request id."""
    request_id = headers.pop("request_id", None) or str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id, **headers},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return request_id


def deliveries(server: AnyServer, key: str, webhook_id: str, **params: Any) -> list[dict[str, Any]]:
    with server.api(key) as client:
        response = client.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def wait_for_delivery(
    server: AnyServer,
    key: str,
    webhook_id: str,
    request_id: str,
    status: str = "delivered",
    timeout: float = 30.0,
    min_attempts: int = 0,
) -> dict[str, Any]:
    """The delivery of `request_id` once it has reached `status` (and `min_attempts`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = deliveries(server, key, webhook_id, requestId=request_id)
        if found and found[0]["status"] == status and len(found[0]["attempts"]) >= min_attempts:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery of {request_id} not {status} after {timeout}s: {found}")
        time.sleep(0.05)

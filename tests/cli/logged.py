"""Logging calls through a real server for the CLI tests: ids known, rows waited for."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.server import HeliographProcess


def send_calls(
    server: HeliographProcess, count: int, model: str = "gpt-4o-mini", **headers: str
) -> list[str]:
    """`count` chat calls through the passthrough proxy; their request ids, once all logged."""
    ids = []
    for number in range(count):
        request_id = str(uuid.uuid4())
        answer = httpx.post(
            f"{server.url}/openai/v1/chat/completions",
            headers={**server.auth, "Helicone-Request-Id": request_id, **headers},
            json={"model": model, "messages": [{"role": "user", "content": f"call {number}"}]},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        ids.append(request_id)
    for request_id in ids:
        server.wait_for_request(request_id)
    return ids


def logged_row(server: HeliographProcess, request_id: str) -> dict[str, Any]:
    return server.wait_for_request(request_id)

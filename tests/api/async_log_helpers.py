"""Shared helpers for the async-log tests: posting a log and reading its row back."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx

from heliograph.costs.catalog import PriceCatalog
from heliograph.usage import Usage
from tests.server import HeliographProcess

# The "Basic Example" of the cURL manual-logger page, as printed there.
BASIC_EXAMPLE: dict[str, Any] = {
    "providerRequest": {
        "url": "custom-model-nopath",
        "json": {
            "model": "my-custom-model",
            "messages": [{"role": "user", "content": "Hello, world!"}],
        },
        "meta": {},
    },
    "providerResponse": {
        "headers": {},
        "status": 200,
        "json": {
            "id": "response-123",
            "choices": [
                {"message": {"role": "assistant", "content": "Hello! How can I assist you today?"}}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
        },
    },
    "timing": {
        "startTime": {"seconds": 1677721748, "milliseconds": 123},
        "endTime": {"seconds": 1677721749, "milliseconds": 456},
    },
}

ROW_FIELDS = (
    "model",
    "provider",
    "response_status",
    "delay_ms",
    "time_to_first_token",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "request_user_id",
    "request_properties",
    "request_path",
)


def example() -> dict[str, Any]:
    return copy.deepcopy(BASIC_EXAMPLE)


def post_log(
    server: HeliographProcess,
    body: Any,
    path: str = "/custom/v1/log",
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {key or server.api_key}"}
    return server.request("POST", path, json=body, headers={**auth, **(headers or {})})


def logged_row(
    server: HeliographProcess,
    body: Any,
    path: str = "/custom/v1/log",
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Post one log, check the answer, and return its stored row."""
    response = post_log(server, body, path, key, headers)
    assert response.status_code == 200, response.text
    request_id = response.json()["data"]["request_id"]
    assert response.headers["helicone-id"] == request_id
    return server.wait_for_request(request_id, key)


def summary(row: dict[str, Any]) -> dict[str, Any]:
    return {field: row[field] for field in ROW_FIELDS}


def catalog_cost(provider: str, model: str, usage: Usage) -> float:
    """What the price catalog charges, in the USD the API returns."""
    nano = PriceCatalog.load_default().cost_nano_usd(provider, model, usage)
    assert nano, f"{model} should be in the price catalog"
    return nano / 1_000_000_000


def new_id() -> str:
    return str(uuid.uuid4())

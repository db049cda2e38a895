"""Evaluators made, calls logged and scores awaited, over either test layer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.conftest import SHARED_SETTINGS
from tests.inprocess import AnyServer, InProcessServer

UPSTREAM_KEY = "sk-openai-evaluators"  # the gateway's OpenAI key: the judge's calls use it
GATEWAY_ENV = {**SHARED_SETTINGS, "HELIOGRAPH_OPENAI_API_KEY": UPSTREAM_KEY}


def judge_template(verdict: str, model: str = "gpt-4o-mini") -> dict[str, Any]:
    """A judge whose answer the test dictates (the fake provider's "reply: " rule)."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": "Rate the answer to {{inputBody}}: {{outputBody}}"},
            {"role": "user", "content": f"reply: {verdict}"},
        ],
    }


def in_process_app(
    fake: FakeProvider, factory: pytest.TempPathFactory, name: str, **env: str
) -> Iterator[InProcessServer]:
    app = InProcessServer(factory.mktemp(name) / "data", fake.url, env={**GATEWAY_ENV, **env})
    app.start()
    yield app
    app.stop()


def create_evaluator(server: AnyServer, key: str, **fields: Any) -> dict[str, Any]:
    with server.api(key) as client:
        answer = client.post("/v1/evaluator", json=fields)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()["data"]
    return created


def attach(server: AnyServer, key: str, evaluator_id: str, **config: Any) -> dict[str, Any]:
    with server.api(key) as client:
        answer = client.post(
            f"/v1/evaluator/{evaluator_id}/onlineEvaluators", json={"config": config}
        )
        assert answer.status_code == 200, answer.text
        listed = client.get(f"/v1/evaluator/{evaluator_id}/onlineEvaluators").json()["data"]
    newest: dict[str, Any] = listed[-1]
    return newest


def logged_call(server: AnyServer, key: str, request_id: str | None = None, **headers: str) -> str:
    """One proxied chat completion for the key's organization; its request id."""
    request_id = request_id or str(uuid.uuid4())
    answer = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id, **headers},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Is it sunny?"}]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return request_id


def scores_of(server: AnyServer, key: str, request_id: str) -> dict[str, Any]:
    row = server.wait_for_request(request_id, key)
    scores: dict[str, Any] = row["scores"]
    return scores


def wait_for_score(
    server: AnyServer, key: str, request_id: str, name: str, timeout: float = 30.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        scores = scores_of(server, key, request_id)
        if name in scores:
            return scores[name]
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} has no score {name} after {timeout}s: {scores}")
        time.sleep(0.05)


def health(server: AnyServer) -> dict[str, Any]:
    stats: dict[str, Any] = server.request("GET", "/healthz").json()["online_evaluation"]
    return stats

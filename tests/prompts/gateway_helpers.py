"""An in-process app whose unified gateway reaches the fake provider, and calls through it,
for the prompt assembly tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.recording import Call
from tests.conftest import SHARED_SETTINGS
from tests.inprocess import InProcessServer

UPSTREAM_KEY = "sk-openai-assembly"  # tells this module's upstream calls from others'


def upstream_calls(fake: FakeProvider) -> list[Call]:
    return [c for c in fake.calls if c.headers.get("authorization") == f"Bearer {UPSTREAM_KEY}"]


class Gateway:
    """One organization's calls to the in-process unified gateway."""

    def __init__(self, server: InProcessServer, fake: FakeProvider, key: str) -> None:
        self.server, self.fake, self.key = server, fake, key

    def chat(
        self,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        path: str = "/v1/chat/completions",
    ) -> tuple[httpx.Response, str, list[Call]]:
        """The answer, the call's request id, and what reached the fake provider for it."""
        request_id = str(uuid.uuid4())
        before = len(upstream_calls(self.fake))
        sent = {**(headers or {}), "Helicone-Request-Id": request_id}
        with self.server.client({"Authorization": f"Bearer {self.key}"}) as client:
            answer = client.post(path, json=body, headers=sent)
        return answer, request_id, upstream_calls(self.fake)[before:]

    def row(self, request_id: str) -> dict[str, Any]:
        return self.server.wait_for_request(request_id, key=self.key)

    def inputs(
        self, prompt_id: str, version_id: str, request_id: str, wait_s: float = 10
    ) -> httpx.Response:
        """GET .../inputs, waiting up to `wait_s` for the call's row to be stored."""
        path = f"/v1/prompt-2025/id/{prompt_id}/{version_id}/inputs?requestId={request_id}"
        deadline = time.monotonic() + wait_s
        with self.server.api(self.key) as client:
            while True:
                answer = client.get(path)
                if answer.status_code != 404 or time.monotonic() > deadline:
                    return answer
                time.sleep(0.02)


def assembly_app(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[InProcessServer]:
    """An in-process app whose gateway reaches `fake_provider` with a key of its own: the
    module fixture of the assembly tests."""
    env = {**SHARED_SETTINGS, "HELIOGRAPH_OPENAI_API_KEY": UPSTREAM_KEY}
    app = InProcessServer(tmp_path_factory.mktemp(name) / "data", fake_provider.url, env=env)
    app.start()
    yield app
    app.stop()

"""Calls carrying Helicone-Prompt-Id through the in-process app, and Helicone's legacy prompt
endpoints read back once the calls are recorded (off the request path, within a moment)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.recording import Call
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import UPSTREAM_KEY, upstream_calls

WAIT_S = 10.0


class LegacyClient:
    """One organization's calls and reads."""

    def __init__(self, server: InProcessServer, fake: FakeProvider, key: str) -> None:
        self.server, self.fake, self.key = server, fake, key

    def _call(
        self, path: str, headers: dict[str, str], content: bytes
    ) -> tuple[httpx.Response, str, list[Call]]:
        request_id = str(uuid.uuid4())
        before = len(upstream_calls(self.fake))
        sent = {**headers, "Helicone-Request-Id": request_id, "Content-Type": "application/json"}
        with self.server.client() as client:
            answer = client.post(path, content=content, headers=sent)
        return answer, request_id, upstream_calls(self.fake)[before:]

    def proxied(
        self, content: bytes, prompt_id: str, headers: dict[str, str] | None = None
    ) -> tuple[httpx.Response, str, list[Call]]:
        """A passthrough call (/openai/v1/chat/completions): answer, request id, upstream calls."""
        sent = {
            "Helicone-Auth": f"Bearer {self.key}",
            "Authorization": f"Bearer {UPSTREAM_KEY}",
            "Helicone-Prompt-Id": prompt_id,
            **(headers or {}),
        }
        return self._call("/openai/v1/chat/completions", sent, content)

    def unified(self, content: bytes, prompt_id: str) -> tuple[httpx.Response, str, list[Call]]:
        """A call to the unified gateway (/v1/chat/completions)."""
        sent = {"Authorization": f"Bearer {self.key}", "Helicone-Prompt-Id": prompt_id}
        return self._call("/v1/chat/completions", sent, content)

    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        with self.server.api(self.key) as client:
            return client.request(method, path, json=body)

    def data(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.api(method, path, body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["error"] is None
        return answer.json()["data"]

    def prompt_named(self, user_defined_id: str) -> dict[str, Any] | None:
        leaf = {"prompt_v2": {"user_defined_id": {"equals": user_defined_id}}}
        found = self.data("POST", "/v1/prompt/query", {"filter": leaf})
        assert len(found) <= 1
        return found[0] if found else None

    def versions(self, prompt_id: str, filter: Any = "all") -> list[dict[str, Any]]:
        versions: list[dict[str, Any]] = self.data(
            "POST", f"/v1/prompt/{prompt_id}/versions/query", {"filter": filter}
        )
        return versions

    def inputs(self, version_id: str, limit: int = 100) -> list[dict[str, Any]]:
        inputs: list[dict[str, Any]] = self.data(
            "POST", f"/v1/prompt/version/{version_id}/inputs/query", {"limit": limit}
        )
        return inputs

    def recorded(self, user_defined_id: str, request_id: str) -> tuple[Any, Any, Any]:
        """(prompt, version, input record) of a logged call, once the writer stored it."""
        deadline = time.monotonic() + WAIT_S
        while True:
            prompt = self.prompt_named(user_defined_id)
            for version in self.versions(prompt["id"]) if prompt else []:
                for record in self.inputs(version["id"]):
                    if record["source_request"] == request_id:
                        # Read again: the prompt's newest version may have come in
                        # between the first read and this record's.
                        return self.prompt_named(user_defined_id), version, record
            assert time.monotonic() < deadline, f"{request_id} not recorded after {WAIT_S}s"
            time.sleep(0.05)

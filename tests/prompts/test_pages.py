"""Every example of Helicone's rest/prompts pages, as written (base URL, key and the ids of
prompts made here changed), against the in-process app: status, envelope and the page's shape.

Helicone's API wraps each answer shown on the pages in `{"data": ..., "error": null}`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import Gateway, assembly_app
from tests.prompts.helpers import new_org

# The pages' request bodies, verbatim.
CREATE = {
    "name": "Customer Support Bot",
    "tags": ["support", "chatbot"],
    "promptBody": {
        "model": "gpt-4",
        "messages": [
            {"role": "system", "content": "You are a helpful customer support assistant."}
        ],
        "temperature": 0.7,
    },
}
UPDATE = {
    "promptId": "prompt_123",
    "promptVersionId": "version_456",
    "newMajorVersion": True,
    "environment": "production",
    "commitMessage": "Updated system prompt for better customer interactions",
    "promptBody": {
        "model": "gpt-4",
        "messages": [
            {
                "role": "system",
                "content": "You are an expert customer support assistant with deep knowledge "
                "of our products.",
            }
        ],
        "temperature": 0.7,
    },
}
QUERY = {"search": "support", "tagsFilter": ["chatbot", "customer"], "page": 0, "pageSize": 10}
PAGE_INPUTS = {"user_name": "Alice", "product_name": "Pro Plan", "support_level": "premium"}
PROMPT_KEYS = {"id", "name", "tags", "created_at"}
# The page's version fields; Heliograph adds `environments` (every environment it serves).
VERSION_KEYS = {
    "id",
    "model",
    "prompt_id",
    "major_version",
    "minor_version",
    "commit_message",
    "environment",
    "created_at",
    "s3_url",
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    """Its gateway reaches the fake provider: the inputs page needs a logged assembled call."""
    yield from assembly_app(fake_provider, tmp_path_factory, "pages")


class Page:
    """One organization with the pages' prompt (`prompt_123`) and first version (`version_456`)."""

    def __init__(self, server: InProcessServer) -> None:
        self.server = server
        self.key = new_org(server, "pages")
        self.prompt_id = self.version_id = ""
        created = self.call("POST", "/v1/prompt-2025", CREATE, status=201)
        assert set(created) == {"id", "versionId"}
        self.prompt_id, self.version_id = created["id"], created["versionId"]

    def ids(self, text: str) -> str:
        if not self.prompt_id:
            return text
        return text.replace("prompt_123", self.prompt_id).replace("version_456", self.version_id)

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        with self.server.api(self.key) as client:
            answer = client.request(method, self.ids(path), json=_with_ids(body, self))
        assert answer.status_code == status, answer.text
        envelope = answer.json()
        assert set(envelope) == {"data", "error"} and envelope["error"] is None
        return envelope["data"]


def _with_ids(body: Any, page: Page) -> Any:
    if isinstance(body, dict):
        return {k: _with_ids(v, page) for k, v in body.items()}
    return page.ids(body) if isinstance(body, str) else body


@pytest.fixture
def page(server: InProcessServer) -> Page:
    return Page(server)


def _is_version(data: dict[str, Any], page: Page) -> None:
    assert set(data) == VERSION_KEYS | {"environments"}
    assert data["prompt_id"] == page.prompt_id and data["model"] == "gpt-4"
    assert ISO.match(data["created_at"])
    assert data["s3_url"].startswith("http://heliograph.test/v1/prompt-bodies/")


def test_create_prompt(page: Page):
    assert re.fullmatch(r"[0-9A-Za-z]{6}", page.prompt_id)
    assert uuid.UUID(page.version_id)


def test_update_prompt_makes_a_new_major_version_in_production(page: Page):
    data = page.call("POST", "/v1/prompt-2025/update", UPDATE)
    assert set(data) == {"id"}
    production = page.call(
        "POST", "/v1/prompt-2025/query/production-version", {"promptId": "prompt_123"}
    )
    _is_version(production, page)
    assert production["id"] == data["id"]
    assert (production["major_version"], production["minor_version"]) == (1, 0)
    assert production["commit_message"] == UPDATE["commitMessage"]
    assert production["environment"] == "production"


def test_get_prompt_and_query_prompts(page: Page):
    prompt = page.call("GET", "/v1/prompt-2025/id/prompt_123")
    assert set(prompt) == PROMPT_KEYS
    assert prompt["name"] == "Customer Support Bot" and prompt["tags"] == ["support", "chatbot"]
    assert ISO.match(prompt["created_at"])
    assert page.call("POST", "/v1/prompt-2025/query", QUERY) == [prompt]


def test_get_version_versions_and_total_versions(page: Page):
    first = page.call("POST", "/v1/prompt-2025/query/version", {"promptVersionId": "version_456"})
    _is_version(first, page)
    assert (first["major_version"], first["minor_version"]) == (0, 0)
    assert first["commit_message"] == "First version."
    assert first["environment"] == "production"
    newer = page.call("POST", "/v1/prompt-2025/update", {**UPDATE, "newMajorVersion": False})
    # The page asks for majorVersion 1; here the versions so far are 0.0 and 0.1.
    listed = page.call(
        "POST", "/v1/prompt-2025/query/versions", {"promptId": "prompt_123", "majorVersion": 0}
    )
    assert [v["id"] for v in listed] == [newer["id"], page.version_id]
    for item in listed:
        _is_version(item, page)
    assert (
        page.call(
            "POST", "/v1/prompt-2025/query/versions", {"promptId": "prompt_123", "majorVersion": 1}
        )
        == []
    )
    counts = page.call("POST", "/v1/prompt-2025/query/total-versions", {"promptId": "prompt_123"})
    assert counts == {"totalVersions": 2, "majorVersions": 1}


def test_environment_version_and_set_version_environment(page: Page):
    newer = page.call("POST", "/v1/prompt-2025/update", {**UPDATE, "environment": "staging"})
    body = {"promptId": "prompt_123", "promptVersionId": newer["id"], "environment": "production"}
    assert page.call("POST", "/v1/prompt-2025/update/environment", body) is None
    found = page.call(
        "POST",
        "/v1/prompt-2025/query/environment-version",
        {"promptId": "prompt_123", "environment": "production"},
    )
    _is_version(found, page)
    assert found["id"] == newer["id"] and found["environment"] == "production"
    assert found["environments"] == ["production", "staging"]


def test_count_tags_and_environments(page: Page):
    assert page.call("GET", "/v1/prompt-2025/count") == 1
    assert page.call("GET", "/v1/prompt-2025/tags") == ["chatbot", "support"]
    assert page.call("GET", "/v1/prompt-2025/environments") == ["production"]


def test_rename_and_update_tags(page: Page):
    renamed = page.call(
        "POST", "/v1/prompt-2025/id/prompt_123/rename", {"name": "Updated Customer Support Bot"}
    )
    assert renamed is None
    tags = page.call(
        "PATCH",
        "/v1/prompt-2025/id/prompt_123/tags",
        {"tags": ["customer-support", "v2", "production"]},
    )
    assert tags == ["customer-support", "v2", "production"]
    prompt = page.call("GET", "/v1/prompt-2025/id/prompt_123")
    assert prompt["name"] == "Updated Customer Support Bot"
    assert prompt["tags"] == ["customer-support", "v2", "production"]


def test_get_prompt_inputs(page: Page, server: InProcessServer, fake_provider: FakeProvider):
    gateway = Gateway(server, fake_provider, page.key)  # the page's "req_789": a call of its
    called = {"prompt_id": page.prompt_id, "version_id": page.version_id, "inputs": PAGE_INPUTS}
    answer, request_id, _ = gateway.chat(called)
    assert answer.status_code == 200, answer.text
    assert gateway.inputs(page.prompt_id, page.version_id, request_id).status_code == 200
    data = page.call(
        "GET", f"/v1/prompt-2025/id/prompt_123/version_456/inputs?requestId={request_id}"
    )
    assert data == {"request_id": request_id, "version_id": page.version_id, "inputs": PAGE_INPUTS}


def test_delete_version_then_prompt(page: Page):
    newer = page.call("POST", "/v1/prompt-2025/update", {**UPDATE, "environment": "staging"})
    assert page.call("DELETE", f"/v1/prompt-2025/prompt_123/{newer['id']}") is None
    versions = page.call("POST", "/v1/prompt-2025/query/versions", {"promptId": "prompt_123"})
    assert [v["id"] for v in versions] == [page.version_id]
    assert page.call("DELETE", "/v1/prompt-2025/prompt_123") is None
    assert page.call("GET", "/v1/prompt-2025/count") == 0

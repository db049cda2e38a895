"""Logged calls and REST calls for the dataset tests."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.inprocess import InProcessServer


class Text:
    """Equal to any string matching `pattern` (times and ids the server chose)."""

    def __init__(self, pattern: str = ".*") -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Text({self.pattern.pattern!r})"


ISO_TIME = Text(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def logged_call(
    server: InProcessServer, key: str, content: str, request_id: str = "", tag: str = ""
) -> str:
    """A chat call through the proxy, logged for the key's organization (with property
    `Set` = `tag` when given); its request id."""
    request_id = request_id or str(uuid.uuid4())
    headers = {"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id}
    if tag:
        headers["Helicone-Property-Set"] = tag
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers=headers,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
    )
    assert response.status_code == 200, response.text
    server.wait_for_request(request_id, key=key)
    return request_id


def call(server: InProcessServer, key: str, path: str, body: Any = None) -> httpx.Response:
    """A POST to the REST API (every dataset endpoint but export is a POST, as Helicone's)."""
    with server.api(key) as client:
        if body is None:
            return client.post(path)
        return client.post(path, json=body)


def data(server: InProcessServer, key: str, path: str, body: Any = None) -> Any:
    """A POST that must succeed: its `data`."""
    answer = call(server, key, path, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"] is None
    return answer.json()["data"]


def new_dataset(server: InProcessServer, key: str, request_ids: list[str], name: str = "d") -> str:
    created = data(
        server, key, "/v1/helicone-dataset", {"datasetName": name, "requestIds": request_ids}
    )
    return str(created["datasetId"])


def rows(server: InProcessServer, key: str, dataset_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(
        server, key, f"/v1/helicone-dataset/{dataset_id}/query", {"offset": 0, "limit": 100}
    )
    return found


def export(server: InProcessServer, key: str, dataset_id: str, fmt: str) -> httpx.Response:
    with server.api(key) as client:
        return client.get(f"/v1/helicone-dataset/{dataset_id}/export", params={"format": fmt})

"""Prompts, experiments and runs made over the REST API, for the experiment tests."""

from __future__ import annotations

import time
from typing import Any

from tests.inprocess import AnyServer

# The fake provider answers "reply: X" with X: each version's answers say which it is.
ORIGINAL: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "max_tokens": 50,
    "messages": [
        {"role": "system", "content": "You answer about {{hc:topic:string}}."},
        {"role": "user", "content": "reply: first on {{hc:topic:string}}"},
    ],
}
EDITED: dict[str, Any] = {
    **ORIGINAL,
    "messages": [
        {"role": "system", "content": "You answer briefly about {{hc:topic:string}}."},
        {"role": "user", "content": "reply: second on {{hc:topic:string}}"},
    ],
}


def call(server: AnyServer, key: str, method: str, path: str, body: Any = None) -> Any:
    """A REST call that must succeed: its `data`."""
    with server.api(key) as client:
        answer = client.request(method, path, json=body)
    assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
    assert answer.json()["error"] is None
    return answer.json()["data"]


def prompt_experiment(server: AnyServer, key: str) -> tuple[str, str, str, str]:
    """A prompt (ORIGINAL) and an experiment comparing it with EDITED: (prompt id,
    experiment id, original version id, edited version id)."""
    created = call(
        server, key, "POST", "/v1/prompt-2025", {"name": "Topics", "promptBody": ORIGINAL}
    )
    experiment = call(
        server,
        key,
        "POST",
        "/v2/experiment/new",
        {"name": "briefer", "originalPromptVersion": created["versionId"]},
    )["experimentId"]
    edited = call(
        server,
        key,
        "POST",
        f"/v2/experiment/{experiment}/prompt-version",
        {
            "parentPromptVersionId": created["versionId"],
            "newHeliconeTemplate": EDITED,
            "metadata": {"label": "briefer"},
        },
    )
    return created["id"], experiment, created["versionId"], edited["id"]


def wait_until_idle(
    server: AnyServer, key: str, experiment: str, timeout: float = 120, logged: int = 0
) -> Any:
    """The experiment's progress once its run is over and (when `logged` is given) that
    many of its calls are in the log store: rows reach it in batches, after the outputs."""
    deadline = time.monotonic() + timeout
    while True:
        progress = call(server, key, "GET", f"/v2/experiment/{experiment}/progress")
        stored = sum(version["calls"] for version in progress["versions"].values())
        if progress["status"] == "idle" and stored >= logged:
            return progress
        assert time.monotonic() < deadline, f"not over after {timeout}s: {progress}"
        time.sleep(0.2)

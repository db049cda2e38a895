"""Creating prompts and versions over the REST API, for the prompt tests."""

from __future__ import annotations

from typing import Any

from tests.inprocess import AnyServer, InProcessServer

BODY: dict[str, Any] = {
    "model": "gpt-4",
    "messages": [{"role": "system", "content": "You are a helpful customer support assistant."}],
    "temperature": 0.7,
}


# A template with a variable, and a cooler staging version of it (Helicone's client tests).
TEMPLATE: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "temperature": 0.6,
    "max_tokens": 1000,
    "messages": [
        {
            "role": "system",
            "content": "You are a helpful customer support agent for {{hc:company:string}}.",
        },
        {"role": "user", "content": "Hello, I need help with my account."},
    ],
}
STAGING = {**TEMPLATE, "temperature": 0.1}


def api_call(server: AnyServer, key: str, method: str, path: str, body: Any) -> Any:
    """A REST call that must succeed: its `data`."""
    with server.api(key) as client:
        answer = client.request(method, path, json=body)
    assert answer.is_success, answer.text
    return answer.json()["data"]


def support_prompt(server: AnyServer, org: str) -> tuple[str, str, str, str]:
    """A new organization's TEMPLATE prompt, with STAGING as a minor version serving staging:
    (key, prompt id, production version id, staging version id)."""
    key = server.create_key(org)
    created = api_call(
        server, key, "POST", "/v1/prompt-2025", {"name": "Support", "promptBody": TEMPLATE}
    )
    staging = api_call(
        server,
        key,
        "POST",
        "/v1/prompt-2025/update",
        {
            "promptId": created["id"],
            "promptVersionId": created["versionId"],
            "newMajorVersion": False,
            "environment": "staging",
            "commitMessage": "cooler",
            "promptBody": STAGING,
        },
    )
    return key, created["id"], created["versionId"], staging["id"]


def new_org(server: InProcessServer, name: str) -> str:
    return server.new_organization(f"prompts-{name}")


def create_prompt(
    server: InProcessServer,
    key: str,
    name: str = "Customer Support Bot",
    tags: list[str] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """(prompt id, first version id)."""
    with server.api(key) as client:
        answer = client.post(
            "/v1/prompt-2025",
            json={"name": name, "tags": tags or [], "promptBody": body or BODY},
        )
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    return data["id"], data["versionId"]


def new_version(
    server: InProcessServer,
    key: str,
    prompt_id: str,
    base_version_id: str,
    *,
    major: bool = False,
    environment: str | None = None,
    body: dict[str, Any] | None = None,
    message: str = "a change",
) -> str:
    request: dict[str, Any] = {
        "promptId": prompt_id,
        "promptVersionId": base_version_id,
        "newMajorVersion": major,
        "commitMessage": message,
        "promptBody": body or BODY,
    }
    if environment is not None:
        request["environment"] = environment
    with server.api(key) as client:
        answer = client.post("/v1/prompt-2025/update", json=request)
    assert answer.status_code == 200, answer.text
    version_id: str = answer.json()["data"]["id"]
    return version_id


def version(server: InProcessServer, key: str, version_id: str) -> dict[str, Any]:
    with server.api(key) as client:
        answer = client.post("/v1/prompt-2025/query/version", json={"promptVersionId": version_id})
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def organization_of(server: InProcessServer, key: str) -> str:
    assert server.app is not None
    principal = server.run(server.app.services.keys.resolve, key)
    assert principal is not None
    organization_id: str = principal.organization_id
    return organization_id

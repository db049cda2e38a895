"""Helicone's own Python client (`helicone-helpers`' HeliconePromptManager), unmodified, against
a Heliograph server with only `base_url` changed: it reads versions over the REST API and then
fetches each body from its `s3_url` without credentials, so it needs a real socket."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from helicone_helpers import HeliconePromptManager

from tests.prompts.helpers import STAGING, TEMPLATE, support_prompt
from tests.server import HeliographProcess


@pytest.fixture(scope="module")
def prompt(live_server: HeliographProcess) -> tuple[str, str, str, str]:
    return support_prompt(live_server, "helicone-helpers")


def test_get_prompt_body_compiles_the_production_version(
    live_server: HeliographProcess, prompt: tuple[str, str, str, str]
):
    key, prompt_id, production, _ = prompt
    manager = HeliconePromptManager(api_key=key, base_url=live_server.url)
    version = manager.pull_prompt_version({"prompt_id": prompt_id})
    assert (version.id, version.prompt_id, version.model) == (production, prompt_id, "gpt-4o-mini")
    assert (version.major_version, version.minor_version) == (0, 0)
    assert version.s3_url is not None and version.s3_url.startswith(live_server.url)
    compiled = manager.get_prompt_body(
        {
            "prompt_id": prompt_id,
            "temperature": 0.4,
            "inputs": {"company": "Acme Corp"},
            "messages": [{"role": "user", "content": "Actually, I want to cancel."}],
        }
    )
    assert compiled["errors"] == []
    assert compiled["body"] == {
        "model": "gpt-4o-mini",
        "temperature": 0.4,
        "max_tokens": 1000,
        "messages": [
            {
                "role": "system",
                "content": "You are a helpful customer support agent for Acme Corp.",
            },
            {"role": "user", "content": "Hello, I need help with my account."},
            {"role": "user", "content": "Actually, I want to cancel."},
        ],
    }


def test_environment_and_version_id_choose_the_version(
    live_server: HeliographProcess, prompt: tuple[str, str, str, str]
):
    key, prompt_id, production, staging = prompt
    manager = HeliconePromptManager(api_key=key, base_url=live_server.url)
    assert manager.pull_prompt_version({"prompt_id": prompt_id, "environment": "staging"}).id == (
        staging
    )
    assert manager.pull_prompt_body({"prompt_id": prompt_id, "version_id": staging}) == STAGING
    assert manager.pull_prompt_body_by_version_id(production) == TEMPLATE


def test_the_async_variants(live_server: HeliographProcess, prompt: tuple[str, str, str, str]):
    key, prompt_id, production, _ = prompt

    async def run() -> tuple[Any, ...]:
        async with HeliconePromptManager(api_key=key, base_url=live_server.url) as manager:
            return (
                await manager.apull_prompt_version({"prompt_id": prompt_id}),
                await manager.aget_prompt_body(
                    {"prompt_id": prompt_id, "environment": "staging", "inputs": {"company": "X"}}
                ),
                await manager.apull_prompt_body_by_version_id(production),
            )

    version, compiled, body = asyncio.run(run())
    assert version.id == production
    assert compiled["errors"] == [] and compiled["body"]["temperature"] == 0.1
    assert compiled["body"]["messages"][0]["content"].endswith("for X.")
    assert body == TEMPLATE


def test_errors_reach_the_client(live_server: HeliographProcess, prompt: tuple[str, str, str, str]):
    key, prompt_id, production, _ = prompt
    manager = HeliconePromptManager(api_key=key, base_url=live_server.url)
    with pytest.raises(Exception, match="Prompt production version not found"):
        manager.pull_prompt_version({"prompt_id": "nope00"})
    other = HeliconePromptManager(api_key=live_server.create_key("other"), base_url=live_server.url)
    with pytest.raises(Exception, match="Prompt version not found"):
        other.pull_prompt_body_by_version_id(production)
    url = manager.pull_prompt_version({"prompt_id": prompt_id}).s3_url
    assert url is not None
    forged = url.replace(production, prompt[3])  # another version under this signature
    assert httpx.get(forged).status_code == 403

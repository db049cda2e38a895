"""Helicone's own Python client (`helicone-helpers`' HeliconePromptManager), unmodified, against
a `heliograph serve` keeping its prompt bodies in an S3-compatible store (moto's server): it
reads versions from Heliograph and fetches each body from the store's presigned URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from helicone_helpers import HeliconePromptManager

from heliograph.mock_provider import FakeProvider
from tests.conftest import SHARED_SETTINGS
from tests.prompts.helpers import STAGING, TEMPLATE, support_prompt
from tests.prompts.object_store import KEY_PREFIX, ObjectStore
from tests.server import HeliographProcess


@pytest.fixture(scope="module")
def s3_server(
    store: ObjectStore,
    bucket: str,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HeliographProcess]:
    data_dir = tmp_path_factory.mktemp("s3-helpers") / "data"
    process = HeliographProcess(
        data_dir, fake_provider.url, env=SHARED_SETTINGS | store.settings(bucket)
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def prompt(s3_server: HeliographProcess) -> tuple[str, str, str, str]:
    return support_prompt(s3_server, "helicone-helpers-s3")


def test_the_client_fetches_bodies_from_the_store(
    s3_server: HeliographProcess,
    store: ObjectStore,
    bucket: str,
    prompt: tuple[str, str, str, str],
):
    key, prompt_id, production, staging = prompt
    manager = HeliconePromptManager(api_key=key, base_url=s3_server.url)
    version = manager.pull_prompt_version({"prompt_id": prompt_id})
    assert version.id == production
    assert version.s3_url is not None
    assert version.s3_url.startswith(f"{store.url}/{bucket}/{KEY_PREFIX}")
    assert manager.pull_prompt_body({"prompt_id": prompt_id, "environment": "staging"}) == STAGING
    assert manager.pull_prompt_body({"prompt_id": prompt_id, "version_id": staging}) == STAGING
    assert manager.pull_prompt_body_by_version_id(production) == TEMPLATE
    compiled = manager.get_prompt_body(
        {
            "prompt_id": prompt_id,
            "temperature": 0.4,
            "inputs": {"company": "Acme Corp"},
            "messages": [{"role": "user", "content": "Actually, I want to cancel."}],
        }
    )
    assert compiled["errors"] == []
    assert compiled["body"]["temperature"] == 0.4 and compiled["body"]["max_tokens"] == 1000
    assert compiled["body"]["messages"][0]["content"].endswith("for Acme Corp.")
    assert len(store.keys(bucket, KEY_PREFIX)) == 2  # production's and staging's bodies


def test_the_async_variants(s3_server: HeliographProcess, prompt: tuple[str, str, str, str]):
    key, prompt_id, production, _ = prompt

    async def run() -> tuple[Any, ...]:
        async with HeliconePromptManager(api_key=key, base_url=s3_server.url) as manager:
            return (
                await manager.aget_prompt_body(
                    {"prompt_id": prompt_id, "environment": "staging", "inputs": {"company": "X"}}
                ),
                await manager.apull_prompt_body_by_version_id(production),
            )

    compiled, body = asyncio.run(run())
    assert compiled["errors"] == [] and compiled["body"]["temperature"] == 0.1
    assert compiled["body"]["messages"][0]["content"].endswith("for X.")
    assert body == TEMPLATE

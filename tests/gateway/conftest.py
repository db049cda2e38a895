"""Fixtures for the gateway tests: a real server whose providers point at the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess

DEAD = "http://127.0.0.1:9"  # nothing listens there: connection refused at once


def gateway_env(fake: FakeProvider, **extra: str) -> dict[str, str]:
    return {
        "HELIOGRAPH_OPENAI_API_KEY": "sk-openai-upstream",
        "HELIOGRAPH_GROQ_BASE_URL": fake.url,
        "HELIOGRAPH_GROQ_API_KEY": "gsk-groq-upstream",
        **extra,
    }


@pytest.fixture(scope="module")
def gateway(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    server = HeliographProcess(
        tmp_path_factory.mktemp("gateway") / "data",
        fake_provider.url,
        env=gateway_env(fake_provider, HELIOGRAPH_DEAD_BASE_URL=DEAD),
    )
    server.start()
    yield server
    server.stop()


def serve_on_backend(
    backend: str, fake: FakeProvider, data_dir: Path, redis_url: str
) -> Iterator[HeliographProcess]:
    """A server with its cache and rate limits in-process ("memory") or in a flushed Redis db."""
    import redis

    env = {}
    if backend == "redis":
        redis.Redis.from_url(redis_url).flushdb()
        env["HELIOGRAPH_REDIS_URL"] = redis_url
    server = HeliographProcess(data_dir, fake.url, env=env)
    server.start()
    yield server
    server.stop()

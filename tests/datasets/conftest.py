"""The dataset tests' server: the in-process app on each metadata database (one at a time,
chDB opening one store per process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.mock_provider import FakeProvider
from tests.databases import fresh_postgres_database
from tests.inprocess import InProcessServer


def serve(data_dir: Path, provider: FakeProvider, env: dict[str, str]) -> Iterator[InProcessServer]:
    server = InProcessServer(data_dir, provider.url, env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp(f"datasets-{request.param}") / "data"
    if request.param == "sqlite":
        yield from serve(data_dir, fake_provider, {})
        return
    with fresh_postgres_database() as url:
        yield from serve(data_dir, fake_provider, {"HELIOGRAPH_DATABASE_URL": url})

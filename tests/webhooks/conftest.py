"""A server with fast webhook retries for the delivery tests; both metadata databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from heliograph.mock_provider import FakeProvider
from tests.conftest import POSTGRES_URL
from tests.server import HeliographProcess

FAST_RETRIES = {
    "HELIOGRAPH_WEBHOOK_RETRY_BASE_MS": "100",
    "HELIOGRAPH_WEBHOOK_TIMEOUT_S": "5",
    "HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1",  # the receivers listen on loopback
}


@pytest.fixture(scope="session")
def hook_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    process = HeliographProcess(
        tmp_path_factory.mktemp("webhooks") / "data", fake_provider.url, env=FAST_RETRIES
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty metadata database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
        return
    name = f"heliograph_wh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

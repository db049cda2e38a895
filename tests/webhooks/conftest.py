"""A server with fast webhook retries for the delivery tests; both metadata databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heliograph.mock_provider import FakeProvider
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

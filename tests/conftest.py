"""Shared fixtures: the fake provider and real Heliograph server processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heliograph.mock_provider import FakeProvider
from tests.databases import fresh_postgres_database
from tests.inprocess import InProcessServer
from tests.postgres_cluster import PostgresCluster, missing_reason
from tests.server import HeliographProcess, clean_environ

# Port 9 on loopback (closed) is the tests' unreachable upstream: allowed, so that they
# reach it past the outbound policy, which refuses loopback targets by default.
SHARED_SETTINGS = {"HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1:9"}
SERVER_FIXTURES = {"live_server", "start_server", "docs_server"}
# Modules that start processes of their own: the benchmarks' servers, the CLI, the demo.
PROCESS_MODULES = ("tests/bench/", "tests/test_cli.py", "tests/cli/", "tests/test_demo.py")
# The longest modules (about a minute or more each), handed to parallel workers first so that
# none is left running alone at the end.
LONGEST_FIRST = ("tests/bench/", "tests/api/test_openapi.py", "tests/ui/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the layer it runs in: `server` where it starts `heliograph serve`
    processes (the relay, streaming, the edge, durability, the CLI, the browser), `inprocess`
    otherwise; `pytest -m inprocess` runs the fast layer alone."""
    for item in items:
        module = getattr(item, "module", None)
        fixtures = set(item.fixturenames)
        # A module using HeliographProcess starts servers in its own fixtures, except for
        # its tests on the in-process app.
        starts = module is not None and hasattr(module, "HeliographProcess")
        starts = starts and "app_server" not in fixtures
        starts = starts or item.nodeid.startswith(PROCESS_MODULES)
        starts = starts or bool(SERVER_FIXTURES & fixtures)
        # A test that marks itself (e.g. one running the CLI on the in-process app's data
        # dir) keeps its mark.
        if item.get_closest_marker("server") is None:
            item.add_marker(pytest.mark.server if starts else pytest.mark.inprocess)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _longest_first(items)


def _longest_first(items: list[pytest.Item]) -> None:
    """Order modules for --dist loadfile, which hands them out in collection order: the
    longest, then those starting servers, then the rest; a module's tests keep their order."""
    serving = {item.path for item in items if item.get_closest_marker("server")}

    def rank(item: pytest.Item) -> int:
        if item.nodeid.startswith(LONGEST_FIRST):
            return 0
        return 1 if item.path in serving else 2

    items.sort(key=rank)  # stable


@pytest.fixture(autouse=True)
def _no_developer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provider keys and Heliograph settings from the developer's shell never leak in."""
    for key in set(os.environ) - set(clean_environ()):
        monkeypatch.delenv(key)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty metadata database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (e.g. shared by two servers)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture(scope="session")
def live_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    """One shared `heliograph serve` process; tests tell their rows apart by request id."""
    process = HeliographProcess(
        tmp_path_factory.mktemp("shared") / "data", fake_provider.url, env=SHARED_SETTINGS
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def server(live_server: HeliographProcess) -> HeliographProcess:
    """The shared server; a module whose tests need no socket overrides this with the
    in-process app (`app_server`) and may still ask for `live_server`."""
    return live_server


@pytest.fixture(scope="module")
def app_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    """An in-process app (see tests/inprocess.py) for a test module; its tests tell their rows
    apart by id. Per module: chDB opens one store at a time in a process, and other modules
    open their own (tests/hql, tests/store), so each closes its store when it is done."""
    data_dir = tmp_path_factory.mktemp("inprocess") / "data"
    app = InProcessServer(data_dir, fake_provider.url, env=SHARED_SETTINGS)
    app.start()
    yield app
    app.stop()


@pytest.fixture
def start_server(
    fake_provider: FakeProvider, tmp_path: Path
) -> Iterator[Callable[..., HeliographProcess]]:
    """Start a private server (own data dir), stopped after the test."""
    started: list[HeliographProcess] = []

    def start(data_dir: Path | None = None, **kwargs: object) -> HeliographProcess:
        process = HeliographProcess(
            data_dir or tmp_path / f"data{len(started)}",
            fake_provider.url,
            **kwargs,  # type: ignore[arg-type]
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of the test's own, which it may stop (the shared one it may not)."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(f"no private PostgreSQL cluster: {reason}")
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.close()

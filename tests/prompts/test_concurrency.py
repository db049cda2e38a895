"""Concurrent new versions never share a number, on SQLite and on PostgreSQL: through the
store from many threads, and through the REST API with many requests in flight at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from heliograph.mock_provider import FakeProvider
from heliograph.prompts.environments import EnvironmentStore
from heliograph.prompts.store import FirstVersion, PromptStore
from heliograph.prompts.versions import NewVersion, VersionStore
from tests.databases import fresh_postgres_database
from tests.inprocess import InProcessServer
from tests.prompts.helpers import BODY, create_prompt, new_org

WRITERS = 12


def _new(prompt_id: str, base: str, major: bool) -> NewVersion:
    return NewVersion(prompt_id, base, major, str(uuid.uuid4()), "gpt-4", "concurrent", None)


def test_threads_adding_versions_take_distinct_numbers(database_url: str):
    engine = db.connect(database_url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    try:
        org = KeyStore(sessions).organization(f"numbers-{uuid.uuid4().hex[:6]}", create=True).id
        first = str(uuid.uuid4())
        prompt = PromptStore(sessions).create(org, "p", [], FirstVersion(first, "gpt-4"))
        versions, environments = VersionStore(sessions), EnvironmentStore(sessions)
        jobs = [_new(prompt, first, major=i % 3 == 0) for i in range(3 * WRITERS)]
        with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
            added = list(pool.map(lambda new: versions.add(org, new), jobs))
            # Promotions racing each other (and the first assignment of "staging").
            promoted = list(
                pool.map(lambda v: environments.set(org, prompt, v.id, "staging"), added[:8])
            )
        assert all(promoted)
        numbers = [(v.major_version, v.minor_version) for v in added if v is not None]
        assert len(numbers) == len(jobs) and len(set(numbers)) == len(jobs)
        majors = sorted(major for major, minor in numbers if minor == 0)
        assert majors == list(range(1, WRITERS + 1)), "each new major is the next one"
        stored = versions.of_prompt(org, prompt, None)
        assert len({(v.major_version, v.minor_version) for v in stored}) == len(jobs) + 1
        assert sum("staging" in v.environments for v in stored) == 1
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def numbered_server(
    request: pytest.FixtureRequest,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[InProcessServer]:
    """The in-process app on each metadata database (one at a time: chDB's one store)."""
    data_dir = tmp_path_factory.mktemp(f"numbers-{request.param}") / "data"
    if request.param == "sqlite":
        yield from _serve(data_dir, fake_provider, {})
        return
    with fresh_postgres_database() as url:
        yield from _serve(data_dir, fake_provider, {"HELIOGRAPH_DATABASE_URL": url})


def _serve(
    data_dir: Path, provider: FakeProvider, env: dict[str, str]
) -> Iterator[InProcessServer]:
    server = InProcessServer(data_dir, provider.url, env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_concurrent_update_requests_take_distinct_numbers(numbered_server: InProcessServer):
    server = numbered_server
    key = new_org(server, "numbers")
    prompt, first = create_prompt(server, key)

    async def updates() -> list[httpx.Response]:
        async with server.async_client({"Authorization": f"Bearer {key}"}) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/v1/prompt-2025/update",
                        json={
                            "promptId": prompt,
                            "promptVersionId": first,
                            "newMajorVersion": i % 2 == 0,
                            "commitMessage": f"writer {i}",
                            "promptBody": BODY,
                        },
                    )
                    for i in range(WRITERS)
                )
            )

    answers = server.run(updates)
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    with server.api(key) as client:
        listed = client.post("/v1/prompt-2025/query/versions", json={"promptId": prompt})
        counts = client.post("/v1/prompt-2025/query/total-versions", json={"promptId": prompt})
    numbers = sorted((v["major_version"], v["minor_version"]) for v in listed.json()["data"])
    half = WRITERS // 2
    assert numbers == [(0, 0)] + [(0, i) for i in range(1, half + 1)] + [
        (i, 0) for i in range(1, half + 1)
    ]
    assert counts.json()["data"] == {"totalVersions": WRITERS + 1, "majorVersions": half + 1}

"""Key look-ups while a real PostgreSQL is stopped: cached answers stand, the rest are 503.

Each test runs against a private cluster (tests/postgres_cluster.py) that it stops with
`pg_ctl stop -m fast`, so the errors are the ones SQLAlchemy and psycopg really raise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import MetaUnavailable
from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.meta.web_sessions import WebSessionStore
from tests.postgres_cluster import PostgresCluster

CACHE_S = 0.05
RETRY_S = 0.3


class CountingSessions:
    """The session factory, counting the sessions opened for reads (each asks the database)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self.opened = 0

    def __call__(self) -> Session:
        self.opened += 1
        return self._sessions()

    def begin(self) -> Any:
        return self._sessions.begin()


@pytest.fixture
def sessions(private_postgres: PostgresCluster) -> Iterator[CountingSessions]:
    engine = db.connect(private_postgres.url)
    db.migrate(engine)
    yield CountingSessions(db.session_factory(engine))
    engine.dispose()


@pytest.fixture
def keys(sessions: CountingSessions) -> KeyStore:
    return KeyStore(sessions, cache_s=CACHE_S, unknown_cache_s=CACHE_S, retry_s=RETRY_S)


def past_ttl() -> None:
    time.sleep(CACHE_S * 2)


def test_a_cached_key_outlives_the_database_and_an_unknown_one_is_503(
    keys: KeyStore, private_postgres: PostgresCluster
):
    known = keys.create("ci", "acme", create_org=True)
    principal = asyncio.run(keys.resolve(known.key))
    assert principal is not None
    assert asyncio.run(keys.resolve("sk-helicone-not-a-key")) is None

    private_postgres.stop()
    past_ttl()
    assert asyncio.run(keys.resolve(known.key)) == principal
    assert asyncio.run(keys.resolve("sk-helicone-not-a-key")) is None, "a cached miss stands too"
    with pytest.raises(MetaUnavailable) as raised:
        asyncio.run(keys.resolve("sk-helicone-never-seen"))
    assert raised.value.status == 503
    assert raised.value.message == "Metadata store unavailable; retry shortly"
    assert raised.value.retry_after_s == 1


def test_a_down_database_is_asked_again_only_after_the_retry_interval(
    keys: KeyStore, sessions: CountingSessions, private_postgres: PostgresCluster
):
    known = keys.create("ci", "acme", create_org=True)
    asyncio.run(keys.resolve(known.key))
    private_postgres.stop()
    past_ttl()
    asked = sessions.opened
    for _ in range(20):
        asyncio.run(keys.resolve(known.key))
        with pytest.raises(MetaUnavailable):
            asyncio.run(keys.resolve("sk-helicone-never-seen"))
    assert sessions.opened == asked + 1, "one failed read, then the cache answers alone"

    private_postgres.start()
    later = keys.create_in(known.organization_id, "after")
    time.sleep(RETRY_S)
    assert asyncio.run(keys.resolve(later.key)) is not None
    assert asyncio.run(keys.resolve(known.key)) is not None


def test_a_key_revoked_before_the_outage_stays_refused(
    keys: KeyStore, private_postgres: PostgresCluster
):
    known = keys.create("ci", "acme", create_org=True)
    asyncio.run(keys.resolve(known.key))
    assert keys.revoke(known.organization_id, known.key_id)
    private_postgres.stop()
    with pytest.raises(MetaUnavailable):  # never its old principal
        asyncio.run(keys.resolve(known.key))


def test_one_warning_a_minute_however_many_reads_fail(
    keys: KeyStore, private_postgres: PostgresCluster, caplog: pytest.LogCaptureFixture
):
    known = keys.create("ci", "acme", create_org=True)
    asyncio.run(keys.resolve(known.key))
    private_postgres.stop()
    caplog.set_level(logging.WARNING, logger="heliograph.meta")
    for _ in range(3):
        past_ttl()
        time.sleep(RETRY_S)  # each round asks the database again, and fails again
        asyncio.run(keys.resolve(known.key))
    lines = [r.getMessage() for r in caplog.records if r.name == "heliograph.meta"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("metadata database unavailable (")
    assert "serving cached API keys" in lines[0]


def test_provider_keys_outlive_the_database(
    sessions: CountingSessions, keys: KeyStore, private_postgres: PostgresCluster
):
    store = ProviderKeyStore(sessions, Fernet(Fernet.generate_key()), cache_s=CACHE_S)
    org = keys.create("ci", "acme", create_org=True).organization_id
    store.add(org, "openai", "sk-openai-of-acme", "main")
    assert asyncio.run(store.keys_for(org)) == {"openai": "sk-openai-of-acme"}

    private_postgres.stop()
    past_ttl()
    assert asyncio.run(store.keys_for(org)) == {"openai": "sk-openai-of-acme"}
    with pytest.raises(MetaUnavailable):
        asyncio.run(store.keys_for("an-organization-never-read"))


def test_a_session_cookie_is_503_while_the_database_is_down(
    sessions: CountingSessions, keys: KeyStore, private_postgres: PostgresCluster
):
    web_sessions = WebSessionStore(sessions)
    token, _ = web_sessions.create(keys.create("ci", "acme", create_org=True).organization_id)
    assert asyncio.run(web_sessions.resolve(token)) is not None
    private_postgres.stop()
    with pytest.raises(MetaUnavailable):
        asyncio.run(web_sessions.resolve(token))

"""Metadata on real SQLite and real PostgreSQL: migrations, organizations, API keys."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text, update

from heliograph.meta import db
from heliograph.meta.keys import KeyStore, hash_key
from heliograph.meta.models import ApiKey


@pytest.fixture
def store(database_url: str) -> Iterator[KeyStore]:
    engine = db.connect(database_url)
    db.migrate(engine)
    db.migrate(engine)  # applying again is a no-op
    yield KeyStore(db.session_factory(engine))
    engine.dispose()


def test_migrations_create_the_tables(database_url: str):
    engine = db.connect(database_url)
    db.migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"organizations", "api_keys", "alembic_version"} <= tables
    engine.dispose()


def test_keys_are_stored_hashed_and_resolve_to_their_org(store: KeyStore, database_url: str):
    created = store.create("ci", "acme", create_org=True)
    assert created.key.startswith("sk-helicone-")
    principal = store.lookup(created.key)
    assert principal is not None and principal.organization_id == created.organization_id
    assert store.lookup(created.key + "x") is None

    engine = create_engine(db._normalise(database_url))
    with engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.execute(text("SELECT * FROM api_keys")))
    engine.dispose()
    assert created.key not in dump, "the plain key is never stored"
    assert hash_key(created.key) in dump


def test_organizations_are_kept_apart(store: KeyStore):
    first = store.create("a", "org-one", create_org=True)
    second = store.create("b", "org-two", create_org=True)
    again = store.create("c", "org-one", create_org=True)
    assert first.organization_id == again.organization_id != second.organization_id
    assert store.organization().name == "default"


def test_ensure_is_idempotent(store: KeyStore):
    key = "sk-helicone-bootstrap-test-key"
    assert store.ensure(key) == store.ensure(key)


def test_revoked_key_no_longer_resolves(store: KeyStore, database_url: str):
    created = store.create("temp")
    assert asyncio.run(store.resolve(created.key)) is not None
    engine = db.connect(database_url)
    with db.session_factory(engine).begin() as session:
        session.execute(
            update(ApiKey).where(ApiKey.id == created.key_id).values(revoked_at=datetime.now(UTC))
        )
    engine.dispose()
    assert store.lookup(created.key) is None


def test_server_runs_on_postgresql(start_server, tmp_path: Path, postgres_database: str):
    server = start_server(env={"HELIOGRAPH_DATABASE_URL": postgres_database})
    import httpx

    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers=server.auth,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200
    assert server.wait_for_request(response.headers["helicone-id"])["response_status"] == 200
    assert not (tmp_path / "data0" / "metadata.db").exists()
    server.stop()


def test_revoking_through_the_store_stops_a_cached_key_at_once(store: KeyStore):
    created = store.create("cached")
    other = store.create("kept")
    assert asyncio.run(store.resolve(created.key)) is not None  # now cached
    assert asyncio.run(store.resolve(other.key)) is not None
    assert store.revoke(created.organization_id, created.key_id)
    assert asyncio.run(store.resolve(created.key)) is None
    assert asyncio.run(store.resolve(other.key)) is not None

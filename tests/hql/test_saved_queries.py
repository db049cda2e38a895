"""Saved HQL queries: the REST endpoints (in-process), the store on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import inspect

from heliograph.hql.saved_queries import SavedQueryStore
from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from heliograph.meta.models import SavedQuery
from tests.inprocess import InProcessServer

BASE = "/v1/helicone-sql"


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def new_key(server: InProcessServer, name: str) -> str:
    return server.create_key(f"{name}-{uuid.uuid4().hex[:8]}")


def test_create_read_update_list_and_delete(server: InProcessServer):
    key = new_key(server, "saved")
    with server.api(key) as client:
        created = client.post(
            f"{BASE}/saved-query",
            json={"name": "  Cost by model ", "sql": " SELECT request_model FROM t \n"},
        )
        assert created.status_code == 201
        [query] = created.json()["data"]
        assert set(query) == {"id", "organization_id", "name", "sql", "created_at", "updated_at"}
        assert query["name"] == "Cost by model" and query["sql"] == "SELECT request_model FROM t"
        assert query["created_at"] == query["updated_at"]
        datetime.fromisoformat(query["created_at"])

        got = client.get(f"{BASE}/saved-query/{query['id']}")
        assert got.status_code == 200 and got.json() == {"data": query, "error": None}

        updated = client.put(
            f"{BASE}/saved-query/{query['id']}", json={"name": "Renamed", "sql": "SELECT 2"}
        ).json()["data"]
        assert updated["id"] == query["id"] and updated["name"] == "Renamed"
        assert updated["sql"] == "SELECT 2" and updated["created_at"] == query["created_at"]
        updated_at = datetime.fromisoformat(updated["updated_at"])
        assert updated_at > datetime.fromisoformat(query["updated_at"])

        second = client.post(f"{BASE}/saved-query", json={"name": "b", "sql": "SELECT 3"})
        listed = client.get(f"{BASE}/saved-queries").json()["data"]
        assert [q["id"] for q in listed] == [query["id"], second.json()["data"][0]["id"]]
        assert listed[0] == updated

        deleted = client.delete(f"{BASE}/saved-query/{query['id']}")
        assert deleted.status_code == 204 and deleted.content == b""
        gone = client.get(f"{BASE}/saved-query/{query['id']}")
        assert gone.status_code == 404
        assert gone.json()["hqlError"]["code"] == "HQL_QUERY_NOT_FOUND"
        again = client.delete(f"{BASE}/saved-query/{query['id']}")
        assert again.status_code == 404
        assert [q["name"] for q in client.get(f"{BASE}/saved-queries").json()["data"]] == ["b"]


def test_a_saved_query_runs_as_hql(server: InProcessServer):
    key = new_key(server, "saved-run")
    with server.api(key) as client:
        sql = "SELECT arrayJoin([1, 2, 3]) AS x"
        [query] = client.post(f"{BASE}/saved-query", json={"name": "q", "sql": sql}).json()["data"]
        stored = client.get(f"{BASE}/saved-query/{query['id']}").json()["data"]["sql"]
        rows = client.post(f"{BASE}/execute", json={"sql": stored}).json()["data"]["rows"]
    assert rows == [{"x": 1}, {"x": 2}, {"x": 3}]


def test_other_organizations_cannot_see_or_touch_a_saved_query(server: InProcessServer):
    owner, intruder = new_key(server, "owner"), new_key(server, "intruder")
    with server.api(owner) as client:
        [query] = client.post(
            f"{BASE}/saved-query", json={"name": "private", "sql": "SELECT 1"}
        ).json()["data"]
    with server.api(intruder) as client:
        assert client.get(f"{BASE}/saved-queries").json() == {"data": [], "error": None}
        assert client.get(f"{BASE}/saved-query/{query['id']}").status_code == 404
        put = client.put(f"{BASE}/saved-query/{query['id']}", json={"name": "x", "sql": "y"})
        assert put.status_code == 404
        assert client.delete(f"{BASE}/saved-query/{query['id']}").status_code == 404
        bulk = client.post(f"{BASE}/saved-queries/bulk-delete", json={"ids": [query["id"]]})
        assert bulk.status_code == 200
    with server.api(owner) as client:
        assert client.get(f"{BASE}/saved-query/{query['id']}").json()["data"] == query


def test_bulk_delete(server: InProcessServer):
    key = new_key(server, "bulk-delete")
    with server.api(key) as client:
        ids = [
            client.post(f"{BASE}/saved-query", json={"name": f"q{i}", "sql": "SELECT 1"}).json()[
                "data"
            ][0]["id"]
            for i in range(3)
        ]
        response = client.post(
            f"{BASE}/saved-queries/bulk-delete", json={"ids": [*ids[:2], "nope", str(uuid.uuid4())]}
        )
        assert response.json() == {"data": None, "error": None}
        assert [q["id"] for q in client.get(f"{BASE}/saved-queries").json()["data"]] == ids[2:]
        bad = client.post(f"{BASE}/saved-queries/bulk-delete", json={"ids": "all"})
        assert bad.status_code == 400 and bad.json()["hqlError"]["code"] == "HQL_MISSING_QUERY_ID"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sql": "SELECT 1"}, "HQL_MISSING_QUERY_NAME"),
        ({"name": "   ", "sql": "SELECT 1"}, "HQL_MISSING_QUERY_NAME"),
        ({"name": 5, "sql": "SELECT 1"}, "HQL_MISSING_QUERY_NAME"),
        ({"name": "n"}, "HQL_MISSING_QUERY_SQL"),
        ({"name": "n", "sql": " "}, "HQL_MISSING_QUERY_SQL"),
        ({"name": "n" * 256, "sql": "SELECT 1"}, "HQL_QUERY_NAME_TOO_LONG"),
        ([], "HQL_MISSING_QUERY_NAME"),
    ],
)
def test_invalid_saved_queries_are_refused(server: InProcessServer, body: Any, code: str):
    with server.api() as client:
        created = client.post(f"{BASE}/saved-query", json=body)
        [query] = client.post(f"{BASE}/saved-query", json={"name": "ok", "sql": "SELECT 1"}).json()[
            "data"
        ]
        updated = client.put(f"{BASE}/saved-query/{query['id']}", json=body)
    for response in (created, updated):
        assert response.status_code == 400
        assert response.json()["data"] is None and set(response.json()) == {
            "data",
            "error",
            "hqlError",
        }
        assert response.json()["hqlError"]["code"] == code


def test_unknown_and_malformed_ids_are_not_found(server: InProcessServer):
    with server.api() as client:
        for query_id in (str(uuid.uuid4()), "not-a-uuid", "1%27%20OR%20%271%27=%271"):
            response = client.get(f"{BASE}/saved-query/{query_id}")
            assert response.status_code == 404
            assert response.json()["hqlError"]["code"] == "HQL_QUERY_NOT_FOUND"


def test_the_store_on_sqlite_and_postgresql(database_url: str):
    engine = db.connect(database_url)
    db.migrate(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("saved_queries")}
    assert columns == {column.name for column in SavedQuery.__table__.columns}
    sessions = db.session_factory(engine)
    keys = KeyStore(sessions)
    org_a = keys.create("a", "org-a", create_org=True).organization_id
    org_b = keys.create("b", "org-b", create_org=True).organization_id
    store = SavedQueryStore(sessions)

    first = store.create(org_a, "first", "SELECT 1")
    second = store.create(org_a, "second", "SELECT 2")
    store.create(org_b, "theirs", "SELECT 3")
    assert [q.name for q in store.list_queries(org_a)] == ["first", "second"]
    assert store.get(org_b, first.id) is None and store.get(org_a, "bad id") is None
    assert store.update(org_b, first.id, "x", "y") is None
    changed = store.update(org_a, first.id, "renamed", "SELECT 10")
    assert changed is not None and changed.sql == "SELECT 10"
    fetched = store.get(org_a, first.id)
    assert fetched is not None and fetched.shown()["name"] == "renamed"
    assert fetched.shown()["created_at"].endswith("+00:00")
    assert store.delete(org_b, [first.id, second.id]) == 0
    assert store.delete(org_a, [first.id, "bad id"]) == 1
    assert [q.id for q in store.list_queries(org_a)] == [second.id]
    engine.dispose()

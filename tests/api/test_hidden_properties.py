"""Helicone's hidden property keys: `/v1/property/hide`, `/restore` and `/hidden/query`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import inspect

from heliograph.meta import db
from heliograph.meta.hidden_properties import HiddenPropertyStore
from heliograph.meta.keys import KeyStore
from heliograph.meta.models import HiddenPropertyKey
from tests.api.test_properties import logged_call
from tests.inprocess import InProcessServer

OK = {"data": {"ok": True}, "error": None}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def post(server: InProcessServer, path: str, body: Any, key: str) -> httpx.Response:
    with server.api(key) as client:
        return client.post(f"/v1/property/{path}", json=body)


def listed(server: InProcessServer, key: str) -> list[str]:
    response = post(server, "query", {}, key)
    assert response.status_code == 200, response.text
    return [entry["property"] for entry in response.json()["data"]]


def hidden(server: InProcessServer, key: str) -> Any:
    response = post(server, "hidden/query", {}, key)
    assert response.status_code == 200, response.text
    return response.json()


def test_hide_then_restore_a_key(server: InProcessServer):
    key = server.new_organization("hide")
    logged_call(server, key, **{"Helicone-Property-Environment": "production"})
    logged_call(server, key, **{"Helicone-Property-App": "web"})
    assert listed(server, key) == ["App", "Environment"]
    assert hidden(server, key) == {"data": [], "error": None}

    assert post(server, "hide", {"key": "Environment"}, key).json() == OK
    assert listed(server, key) == ["App"]
    assert hidden(server, key) == {"data": [{"property": "Environment"}], "error": None}
    assert post(server, "hide", {"key": "Environment"}, key).json() == OK  # twice is fine
    assert hidden(server, key)["data"] == [{"property": "Environment"}]

    # Hiding lists nothing less elsewhere: the requests and values stay.
    with server.api(key) as client:
        values = client.post("/v1/property/Environment/search", json={}).json()["data"]
    assert values == ["production"]

    assert post(server, "restore", {"key": "Environment"}, key).json() == OK
    assert listed(server, key) == ["App", "Environment"]
    assert hidden(server, key)["data"] == []
    assert post(server, "restore", {"key": "Environment"}, key).json() == OK  # not hidden: ok


def test_keys_match_case_insensitively_and_unknown_keys_can_be_hidden(server: InProcessServer):
    key = server.new_organization("hide-case")
    logged_call(server, key, **{"Helicone-Property-Environment": "production"})
    assert post(server, "hide", {"key": "ENVIRONMENT"}, key).json() == OK
    assert post(server, "hide", {"key": "NotLoggedYet"}, key).json() == OK
    assert listed(server, key) == []
    assert [e["property"] for e in hidden(server, key)["data"]] == ["ENVIRONMENT", "NotLoggedYet"]
    assert post(server, "restore", {"key": "environment"}, key).json() == OK
    assert listed(server, key) == ["Environment"]


def test_hidden_keys_are_per_organization(server: InProcessServer):
    mine, theirs = server.new_organization("hide-a"), server.new_organization("hide-b")
    for key in (mine, theirs):
        logged_call(server, key, **{"Helicone-Property-Team": "x"})
    assert post(server, "hide", {"key": "Team"}, mine).json() == OK
    assert listed(server, mine) == [] and listed(server, theirs) == ["Team"]
    assert hidden(server, theirs)["data"] == []
    # Restoring in another organization does not show it again in the first.
    assert post(server, "restore", {"key": "Team"}, theirs).json() == OK
    assert hidden(server, mine)["data"] == [{"property": "Team"}]


@pytest.mark.parametrize("path", ["hide", "restore"])
@pytest.mark.parametrize(
    "body", [{}, {"key": ""}, {"key": "   "}, {"key": 5}, {"key": "k" * 1001}, ["key"]]
)
def test_bad_bodies_are_400(server: InProcessServer, path: str, body: Any):
    response = post(server, path, body, server.api_key)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and response.json()["error"]


def test_need_a_key(server: InProcessServer):
    with server.client() as client:
        for path, body in [("hide", {"key": "a"}), ("restore", {"key": "a"}), ("hidden/query", {})]:
            assert client.post(f"/v1/property/{path}", json=body).status_code == 401


def test_the_store_on_sqlite_and_postgresql(database_url: str):
    engine = db.connect(database_url)
    db.migrate(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("hidden_property_keys")}
    assert columns == {column.name for column in HiddenPropertyKey.__table__.columns}
    sessions = db.session_factory(engine)
    keys = KeyStore(sessions)
    org_a = keys.create("a", "org-a", create_org=True).organization_id
    org_b = keys.create("b", "org-b", create_org=True).organization_id
    store = HiddenPropertyStore(sessions)
    long_key = "é" * 1000  # 2000 bytes: past what a PostgreSQL index entry may hold
    for key in ("beta", "Alpha", long_key, "BETA"):
        store.hide(org_a, key)
    store.hide(org_b, "gamma")
    assert store.hidden(org_a) == ["Alpha", "BETA", long_key]  # the key as last sent
    store.restore(org_a, "alpha")
    store.restore(org_b, long_key)  # another organization's: nothing changes
    assert store.hidden(org_a) == ["BETA", long_key]
    assert store.hidden(org_b) == ["gamma"]
    engine.dispose()

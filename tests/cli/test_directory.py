"""`keys list|revoke`, `orgs list|create`, `users list|disable` on real SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from tests.cli.helpers import Operator
from tests.server import HeliographProcess

PASSWORD = "correct horse battery"


@pytest.fixture
def operator(tmp_path: Path, database_url: str) -> Operator:
    return Operator(tmp_path / "data", database_url)


def test_orgs_are_created_once_and_listed_with_their_counts(operator: Operator):
    org_id = operator.ok("orgs", "create", "acme").strip()
    again = operator.run("orgs", "create", "acme")
    assert again.returncode == 1
    assert again.stderr == "Error: an organization named 'acme' already exists\n"
    operator.ok("keys", "create", "--name", "ci", "--org", "acme")
    operator.ok("keys", "create", "--name", "other", "--org", "beta", "--create-org")
    listed = {org["name"]: org for org in operator.json("orgs", "list")}
    assert set(listed) == {"acme", "beta"}
    assert listed["acme"]["id"] == org_id
    assert (listed["acme"]["live_keys"], listed["acme"]["users"]) == (1, 0)
    table = operator.ok("orgs", "list")
    assert "2 organization(s)" in table and org_id in table


def test_keys_are_listed_by_organization_and_revoked_by_preview(
    operator: Operator, database_url: str
):
    key = operator.ok("keys", "create", "--name", "ci", "--org", "acme", "--create-org").strip()
    operator.ok("keys", "create", "--name", "batch", "--org", "beta", "--create-org")
    acme = operator.json("keys", "list", "--org", "acme")
    assert [(k["name"], k["organization"], k["revoked"]) for k in acme] == [("ci", "acme", None)]
    assert key not in operator.ok("keys", "list"), "only previews are ever shown"
    assert len(operator.json("keys", "list")) == 2

    revoked = operator.ok("keys", "revoke", acme[0]["preview"])
    assert revoked.startswith(f"revoked key {acme[0]['id']}")
    engine = db.connect(database_url)
    try:
        assert KeyStore(db.session_factory(engine)).lookup(key) is None
    finally:
        engine.dispose()
    assert operator.json("keys", "list", "--org", "acme") == []
    [shown] = operator.json("keys", "list", "--org", "acme", "--revoked")
    assert shown["id"] == acme[0]["id"] and shown["revoked"] is not None
    again = operator.run("keys", "revoke", acme[0]["id"])
    assert again.returncode == 1 and "no live API key" in again.stderr


def test_keys_are_created_with_permissions(operator: Operator, database_url: str):
    made = {
        permissions: operator.ok(
            "keys",
            "create",
            "--name",
            permissions,
            "--org",
            "perm",
            "--create-org",
            "--permissions",
            permissions,
        ).strip()
        for permissions in ("r", "w")
    }
    default = operator.ok("keys", "create", "--name", "all", "--org", "perm").strip()
    listed = {k["name"]: k["permissions"] for k in operator.json("keys", "list", "--org", "perm")}
    assert listed == {"r": "r", "w": "w", "all": "rw"}
    engine = db.connect(database_url)
    try:
        store = KeyStore(db.session_factory(engine))
        found = {key: store.lookup(key) for key in (made["r"], made["w"], default)}
    finally:
        engine.dispose()
    assert [principal.permissions for principal in found.values() if principal] == ["r", "w", "rw"]
    refused = operator.run("keys", "create", "--name", "x", "--org", "perm", "--permissions", "x")
    assert refused.returncode == 2 and "'x' is not one of 'rw', 'r', 'w'" in refused.stderr
    unknown = operator.run("keys", "list", "--org", "nobody")
    assert unknown.returncode == 1 and unknown.stderr == "Error: no organization named 'nobody'\n"


def test_the_configured_key_is_not_revoked(operator: Operator):
    key = operator.ok("keys", "create", "--name", "boot").strip()
    [listed] = operator.json("keys", "list")
    operator.env["HELIOGRAPH_API_KEY"] = key
    refused = operator.run("keys", "revoke", listed["id"])
    assert refused.returncode == 1 and "configured key" in refused.stderr
    assert operator.json("keys", "list") == [listed]


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(start_server):
    server: HeliographProcess = start_server()
    operator = Operator(server.data_dir)
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    assert server.create_user(email, PASSWORD, "acme").returncode == 0
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        signed_in = browser.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        assert browser.get("/v1/auth/session").status_code == 200
        [user] = operator.json("users", "list", "--org", "acme")
        assert (user["email"], user["disabled"]) == (email, None)

        assert operator.ok("users", "disable", email.upper()) == (
            f"user {email} of organization acme is disabled\n"
        )
        assert browser.get("/v1/auth/session").status_code == 401
        again = browser.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert again.status_code == 401
    [user] = operator.json("users", "list")
    assert user["disabled"] is not None
    assert "1 user(s)" in operator.ok("users", "list")
    missing = operator.run("users", "disable", "nobody@example.com")
    assert missing.returncode == 1 and "no user" in missing.stderr

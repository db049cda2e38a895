"""Helicone's organization API: members and roles, ownership, saved filters; each role's
limits on other features' routes; one organization's members never reach another's.

On the in-process app, signed in as the dashboard is (the session cookie and its CSRF token).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from heliograph.api.access import reads_only, takes_reading_dependency
from heliograph.api.app import ROUTERS
from heliograph.meta.models import User
from tests.inprocess import InProcessServer

PASSWORD = "correct horse battery"
ORG = "/v1/organization"


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def _sign_in(server: InProcessServer, email: str, password: str = PASSWORD) -> httpx.Client:
    """A browser signed in as `email`, sending its CSRF token with every call."""
    browser = server.client()
    answer = browser.post("/v1/auth/sign-in", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    browser.headers["X-CSRF-Token"] = answer.json()["data"]["csrfToken"]
    return browser


def _owner(server: InProcessServer) -> tuple[httpx.Client, str]:
    """The owner of a new organization, signed in, and the organization's id."""
    email = _email()
    server.create_user(email, PASSWORD, f"org-{uuid.uuid4()}")
    owner = _sign_in(server, email)
    return owner, owner.get("/v1/auth/session").json()["data"]["organizationId"]


def _join(server: InProcessServer, owner: httpx.Client, org_id: str, role: str) -> httpx.Client:
    """A new user added by `owner` with `role`, signed in with their temporary password."""
    email = _email()
    added = owner.post(f"{ORG}/{org_id}/add_member", json={"email": email})
    assert added.status_code == 201, added.text
    temporary = added.json()["data"]["temporaryPassword"]
    if role != "member":
        member_id = _member_id(owner, org_id, email)
        changed = owner.post(
            f"{ORG}/{org_id}/update_member", json={"role": role, "memberId": member_id}
        )
        assert changed.status_code == 201, changed.text
    return _sign_in(server, email, temporary)


def _member_id(client: httpx.Client, org_id: str, email: str) -> str:
    members = client.get(f"{ORG}/{org_id}/members").json()["data"]
    return next(m["member"] for m in members if m["email"] == email)


def _forbidden(answer: httpx.Response, needs: str) -> None:
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["data"] is None and f"needs the role {needs} or above" in body["error"], body


def test_members_and_roles_with_helicone_shapes(server: InProcessServer):
    owner, org_id = _owner(server)
    owner_email = owner.get("/v1/auth/session").json()["data"]["email"]
    listed = owner.get(ORG).json()["data"]
    assert [(o["id"], o["role"]) for o in listed] == [(org_id, "owner")]
    assert owner.post(f"{ORG}/{org_id}/update", json={"name": "Renamed"}).status_code == 201
    assert owner.get(f"{ORG}/{org_id}").json()["data"]["name"] == "Renamed"

    email = _email()
    added = owner.post(f"{ORG}/{org_id}/add_member", json={"email": email.upper()})
    assert added.status_code == 201
    temporary = added.json()["data"]["temporaryPassword"]
    assert len(temporary) >= 12
    again = owner.post(f"{ORG}/{org_id}/add_member", json={"email": email})
    assert again.status_code == 201 and again.json() == {
        "data": {"temporaryPassword": None},
        "error": None,
    }
    with server.app.services.users._sessions() as session:  # type: ignore[union-attr]
        stored = session.scalars(select(User.password_hash).where(User.email == email)).one()
    assert temporary not in stored and stored.startswith("$argon2id$")

    members = owner.get(f"{ORG}/{org_id}/members").json()["data"]
    assert [(m["email"], m["org_role"]) for m in members] == [
        (owner_email, "owner"),
        (email, "member"),
    ]
    assert set(members[1]) == {"member", "email", "org_role"}
    member_id = members[1]["member"]
    bad_role = owner.post(
        f"{ORG}/{org_id}/update_member", json={"role": "owner", "memberId": member_id}
    )
    assert bad_role.status_code == 400 and "update_owner" in bad_role.json()["error"]
    viewer = owner.post(
        f"{ORG}/{org_id}/update_member", json={"role": "viewer", "memberId": member_id}
    )
    assert viewer.status_code == 201 and viewer.json() == {"data": None, "error": None}
    assert owner.get(f"{ORG}/{org_id}/owner").json()["data"] == [
        {"email": owner_email, "tier": "free"}
    ]
    removed = owner.delete(f"{ORG}/{org_id}/remove_member", params={"memberId": member_id})
    assert removed.status_code == 200
    assert [m["email"] for m in owner.get(f"{ORG}/{org_id}/members").json()["data"]] == [
        owner_email
    ]
    gone = owner.delete(f"{ORG}/{org_id}/remove_member", params={"memberId": member_id})
    assert (
        gone.status_code == 404 and gone.json()["error"] == "Member not found in this organization"
    )


def test_saved_filters_per_screen(server: InProcessServer):
    owner, org_id = _owner(server)
    layout = f"{ORG}/{org_id}/layout"
    assert owner.get(layout, params={"filterType": "dashboard"}).json() == {
        "data": None,
        "error": None,
    }
    filters = [{"id": "f1", "name": "GPT only", "filter": [{"model": {"equals": "gpt-4o"}}]}]
    body = {"filters": filters, "filterType": "dashboard"}
    assert owner.post(f"{ORG}/{org_id}/update_filter", json=body).status_code == 404
    assert owner.post(f"{ORG}/{org_id}/create_filter", json=body).status_code == 201
    assert owner.post(f"{ORG}/{org_id}/create_filter", json=body).status_code == 400
    saved = owner.get(layout, params={"filterType": "dashboard"}).json()["data"]
    assert saved["filters"] == filters and saved["type"] == "dashboard"
    assert saved["organization_id"] == org_id
    body["filters"] = []
    assert owner.post(f"{ORG}/{org_id}/update_filter", json=body).status_code == 201
    assert owner.get(layout, params={"filterType": "dashboard"}).json()["data"]["filters"] == []
    assert owner.get(layout, params={"filterType": "requests"}).json()["data"] is None
    wrong = owner.get(layout, params={"filterType": "sessions"})
    assert wrong.status_code == 400 and "filterType" in wrong.json()["error"]


# Writes of different features, and the weakest role each needs.
VIEWER_WRITES: list[tuple[str, str, Any, str]] = [
    ("POST", "/v1/alert/create", {}, "member"),
    ("POST", "/v1/webhooks", {}, "admin"),
    ("POST", "/v1/api-keys", {}, "admin"),
    ("DELETE", "/v1/cache", None, "member"),
    (
        "POST",
        "/v1/request/00000000-0000-4000-8000-000000000000/feedback",
        {"rating": True},
        "member",
    ),
    ("POST", "/v1/prompt-2025", {}, "member"),
]


def test_a_viewer_reads_and_cannot_write(server: InProcessServer):
    owner, org_id = _owner(server)
    viewer = _join(server, owner, org_id, "viewer")
    assert viewer.get(f"{ORG}/{org_id}/members").status_code == 200
    assert viewer.post("/v1/request/query", json={"filter": "all", "limit": 1}).status_code == 200
    for method, path, body, needs in VIEWER_WRITES:
        _forbidden(viewer.request(method, path, json=body), needs)
    _forbidden(
        viewer.post(
            f"{ORG}/{org_id}/create_filter", json={"filters": [], "filterType": "requests"}
        ),
        "member",
    )


def test_a_member_writes_but_manages_neither_keys_nor_members(server: InProcessServer):
    owner, org_id = _owner(server)
    member = _join(server, owner, org_id, "member")
    body = {"filters": [], "filterType": "requests"}
    assert member.post(f"{ORG}/{org_id}/create_filter", json=body).status_code == 201
    _forbidden(member.post("/v1/api-keys", json={"api_key_name": "mine"}), "admin")
    _forbidden(member.post("/v1/vault/add", json={"key": "sk-x", "provider": "openai"}), "admin")
    _forbidden(member.post("/v1/webhooks", json={}), "admin")
    _forbidden(member.post(f"{ORG}/{org_id}/add_member", json={"email": _email()}), "admin")
    _forbidden(member.post(f"{ORG}/{org_id}/update", json={"name": "mine"}), "admin")


def test_an_admin_manages_members_and_only_the_owner_transfers(server: InProcessServer):
    owner, org_id = _owner(server)
    admin = _join(server, owner, org_id, "admin")
    admin_email = admin.get("/v1/auth/session").json()["data"]["email"]
    created = admin.post("/v1/api-keys", json={"api_key_name": "admin-made"})
    assert created.status_code == 200, created.text
    assert admin.post(f"{ORG}/{org_id}/add_member", json={"email": _email()}).status_code == 201
    admin_id = _member_id(owner, org_id, admin_email)
    _forbidden(admin.post(f"{ORG}/{org_id}/update_owner", json={"memberId": admin_id}), "owner")
    _forbidden(admin.delete(f"{ORG}/delete"), "owner")

    moved = owner.post(f"{ORG}/{org_id}/update_owner", json={"memberId": admin_id})
    assert moved.status_code == 201, moved.text
    roles = {m["email"]: m["org_role"] for m in owner.get(f"{ORG}/{org_id}/members").json()["data"]}
    assert roles[admin_email] == "owner" and list(roles.values()).count("owner") == 1
    owner_id = _member_id(admin, org_id, owner.get("/v1/auth/session").json()["data"]["email"])
    _forbidden(owner.post(f"{ORG}/{org_id}/update_owner", json={"memberId": owner_id}), "owner")
    refused = admin.delete(f"{ORG}/{org_id}/remove_member", params={"memberId": admin_id})
    assert refused.status_code == 400 and "transfer ownership" in refused.json()["error"]


def test_one_organization_never_reaches_another(server: InProcessServer):
    owner_a, org_a = _owner(server)
    owner_b, org_b = _owner(server)
    member_a = _join(server, owner_a, org_a, "admin")
    for method, path, body in [
        ("GET", f"{ORG}/{org_b}", None),
        ("GET", f"{ORG}/{org_b}/members", None),
        ("GET", f"{ORG}/{org_b}/owner", None),
        ("POST", f"{ORG}/{org_b}/add_member", {"email": _email()}),
        ("POST", f"{ORG}/{org_b}/update", {"name": "taken"}),
    ]:
        for client in (owner_a, member_a):
            answer = client.request(method, path, json=body)
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json() == {"data": None, "error": "Organization not found"}
    chosen = owner_a.get("/v1/request/query", headers={"Helicone-Organization-Id": org_b})
    assert chosen.status_code == 403
    assert chosen.json()["error"] == "You are not a member of this organization"
    assert owner_b.get(f"{ORG}/{org_b}").json()["data"]["name"] != "taken"


def test_a_user_of_several_organizations_chooses_one_per_call(server: InProcessServer):
    owner, org_a = _owner(server)
    made = owner.post(f"{ORG}/create", json={"name": "Second"})
    assert made.status_code == 201
    org_b = made.json()["data"]
    assert {(o["id"], o["role"]) for o in owner.get(ORG).json()["data"]} == {
        (org_a, "owner"),
        (org_b, "owner"),
    }
    in_b = {"Helicone-Organization-Id": org_b}
    assert owner.get(f"{ORG}/{org_b}", headers=in_b).json()["data"]["name"] == "Second"
    assert owner.get(f"{ORG}/{org_b}").status_code == 404, "the session's organization is A"
    deleted = owner.delete(f"{ORG}/delete", headers=in_b)
    assert deleted.status_code == 201, deleted.text
    assert [o["id"] for o in owner.get(ORG).json()["data"]] == [org_a]
    refused = owner.delete(f"{ORG}/delete")
    assert refused.status_code == 400 and "cannot be deleted" in refused.json()["error"]


def test_a_removed_member_is_signed_out_and_keys_manage_no_organization(server: InProcessServer):
    owner, org_id = _owner(server)
    member = _join(server, owner, org_id, "member")
    email = member.get("/v1/auth/session").json()["data"]["email"]
    member_id = _member_id(owner, org_id, email)
    assert owner.delete(f"{ORG}/{org_id}/remove_member", params={"memberId": member_id})
    assert member.get(f"{ORG}/{org_id}/members").status_code == 401
    with server.api() as api:
        own = api.get(ORG).json()["data"]
        assert len(own) == 1 and own[0]["role"] is None, "a key is no member: no role"
        for method, path, body in [
            ("POST", f"{ORG}/create", {"name": "by key"}),
            ("POST", f"{ORG}/{own[0]['id']}/update_owner", {"memberId": member_id}),
            ("DELETE", f"{ORG}/delete", None),
        ]:
            refused = api.request(method, path, json=body)
            assert refused.status_code == 403, refused.text
            assert "signed-in users" in refused.json()["error"]


# Writes a viewer may make: signing in and out, and an organization of their own.
VIEWER_MAY = {"/v1/auth/sign-in", "/v1/auth/sign-out", "/v1/organization/create"}


def test_every_rest_write_refuses_a_viewer(server: InProcessServer):
    """Every REST route that writes, called by a viewer with any path id, is refused before
    it runs: none authenticates around require_principal."""
    owner, org_id = _owner(server)
    viewer = _join(server, owner, org_id, "viewer")
    checked = 0
    for route in (route for router in ROUTERS for route in router.routes):
        path, methods = getattr(route, "path", ""), getattr(route, "methods", None) or set()
        if not path.startswith("/v1/") or path in VIEWER_MAY:
            continue
        for method in sorted(methods - {"GET", "HEAD", "OPTIONS"}):
            if reads_only(method, path, takes_reading_dependency(route)):
                continue
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            answer = viewer.request(method, url, json={})
            assert answer.status_code == 403, (method, path, answer.text)
            assert "Your role in this organization is viewer" in answer.json()["error"]
            checked += 1
    assert checked > 50

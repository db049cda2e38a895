"""The Members screen in a real browser: the owner adds members (a temporary password shown
once), changes a role and removes one; a viewer sees the members and nothing to change."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser


def _members(server: HeliographProcess, key: str) -> dict[str, str]:
    with server.api(key) as client:
        org_id = client.get("/v1/organization").json()["data"][0]["id"]
        rows = client.get(f"/v1/organization/{org_id}/members").json()["data"]
    return {row["email"]: row["org_role"] for row in rows}


def test_members_screen(server: HeliographProcess, browser: Any, screenshots: Path):
    org = new_org(server)
    owner = open_browser(browser, server.url)
    owner.sign_in_with_password(org.email)
    owner.goto("/settings/members")
    table = owner.page.get_by_test_id("members")
    expect(table).to_contain_text(org.email)

    viewer_email, leaving = (f"{name}-{uuid.uuid4().hex[:6]}@example.com" for name in "vl")
    passwords = {}
    for email in (viewer_email, leaving):
        owner.page.get_by_test_id("member-email").fill(email)
        owner.page.get_by_test_id("member-add").click()
        shown = owner.page.get_by_test_id("member-temporary-password")
        expect(shown).to_contain_text(email)
        passwords[email] = shown.locator("code").inner_text()
        expect(table).to_contain_text(email)

    owner.page.get_by_label(f"Role of {viewer_email}").select_option("viewer")
    expect(owner.page.get_by_text(f"{viewer_email} is now viewer")).to_be_visible()
    owner.page.once("dialog", lambda dialog: dialog.accept())
    owner.page.get_by_role("button", name=f"Remove {leaving}").click()
    expect(table).not_to_contain_text(leaving)
    assert _members(server, org.key) == {org.email: "owner", viewer_email: "viewer"}
    owner.shot(screenshots, "members-1280-light")

    viewer = open_browser(browser, server.url)
    viewer.sign_in_with_password(viewer_email, passwords[viewer_email])
    viewer.goto("/settings/members")
    expect(viewer.page.get_by_test_id("members")).to_contain_text(org.email)
    expect(viewer.page.get_by_text("Your role: viewer")).to_be_visible()
    assert viewer.page.get_by_test_id("member-add").count() == 0
    assert viewer.page.get_by_test_id("member-role").count() == 0
    assert viewer.page.get_by_role("button", name="Make owner").count() == 0
    assert owner.errors == [] and viewer.errors == []

"""The HQL screen as a first-time user meets it: saved queries."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser


def test_a_saved_query_name_and_its_delete_button_do_not_overlap(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    with server.api(org.key) as client:
        saved = client.post(
            "/v1/helicone-sql/saved-query",
            json={"name": "Cost per model this week, by user", "sql": "SELECT 1"},
        )
    assert saved.status_code == 201, saved.text
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/hql")
    queries = ui.page.get_by_test_id("saved-queries")
    name = queries.get_by_role("button", name="Cost per model this week, by user", exact=True)
    delete = queries.get_by_role(
        "button", name="Delete saved query Cost per model this week, by user"
    )
    expect(name).to_be_visible()
    named, deleting = name.locator("span").bounding_box(), delete.bounding_box()
    assert named is not None and deleting is not None
    assert named["x"] + named["width"] <= deleting["x"], (named, deleting)
    assert ui.errors == []

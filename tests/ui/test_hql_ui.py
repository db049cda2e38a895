"""The HQL screen as a first-time user meets it: a capped result says so, saved queries."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_a_result_over_1000_rows_says_it_is_cut_and_where_all_rows_are(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    server.wait_for_request(send(server, org.key), org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/hql")
    editor = ui.page.get_by_test_id("hql-editor")
    editor.fill("SELECT arrayJoin(range(1500)) AS n FROM request_response_rmt")
    ui.page.get_by_test_id("hql-run").click()
    results = ui.page.get_by_test_id("hql-results")
    expect(results.locator("tbody tr")).to_have_count(1000)
    capped = ui.page.get_by_test_id("hql-capped")
    expect(capped).to_contain_text("first 1,000 rows")
    expect(capped).to_contain_text("CSV")
    expect(ui.page.get_by_role("status").filter(has_text="rows")).to_contain_text("1,000+")
    assert ui.errors == []


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

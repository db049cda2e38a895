"""The dashboard in a real browser: sign-in, requests, filters, detail editing, feedback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_sign_in_with_password_then_with_an_api_key(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.goto("/requests?range=7d")
    expect(ui.page).to_have_url(re.compile(r"/signin\?next=%2Frequests"))
    ui.shot(screenshots, "signin-1280-light")
    ui.page.get_by_label("E-mail").fill(org.email)
    ui.page.get_by_label("Password").fill("wrong password")
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page.get_by_role("alert")).to_have_text("Wrong e-mail or password")

    ui.page.get_by_label("Password").fill("correct horse battery")
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page).to_have_url(f"{server.url}/requests?range=7d")
    # A new organization has no requests: the empty state says how to send the first one.
    expect(ui.page.get_by_text("No requests yet")).to_be_visible()
    expect(ui.page.locator("pre.code").first).to_contain_text(f"{server.url}/openai/v1")
    ui.shot(screenshots, "requests-empty-1280-light")

    ui.page.get_by_test_id("sign-out").click()
    expect(ui.page).to_have_url(re.compile("/signin"))
    ui.goto("/dashboard")
    expect(ui.page).to_have_url(re.compile("/signin"))

    ui.sign_in_with_key(org.key)
    expect(ui.page).to_have_url(f"{server.url}/dashboard")
    expect(ui.page.get_by_text("Signed in with an API key")).to_be_visible()
    assert ui.errors == []


def test_traffic_appears_live_then_filter_open_edit_and_rate(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    first = send(server, org.key, "first question", properties={"Environment": "production"})
    server.wait_for_request(first, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/requests?live=1")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr")).to_have_count(1)

    # Live tail: requests sent while the page is open appear without a reload.
    second = send(server, org.key, "staging question", properties={"Environment": "staging"})
    third = send(server, org.key, "production again", properties={"Environment": "production"})
    expect(table.locator("tbody tr")).to_have_count(3, timeout=20_000)
    expect(table.locator(f"a[href='/requests/{third}']")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Environment")).to_be_visible()

    # Filter builder: Environment is production.
    ui.page.get_by_test_id("filters-button").click()
    ui.page.get_by_test_id("filter-field").select_option("prop:Environment")
    value = ui.page.get_by_test_id("filter-value")
    value.fill("prod")  # suggests the property's values (/v1/property/{key}/search)
    suggested = ui.page.locator(f"datalist#{value.get_attribute('list')} option")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", "production")
    value.fill("production")
    ui.page.get_by_test_id("filter-apply").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(f"a[href='/requests/{second}']")).to_have_count(0)
    expect(ui.page.get_by_test_id("filter-chip")).to_have_text("Environment is production")
    assert "f=prop%3AEnvironment%7Cequals%7Cproduction" in ui.page.url
    ui.shot(screenshots, "requests-filtered-1280-light")

    # The URL carries the filter: opening it afresh shows the same rows.
    ui.goto(ui.page.url.removeprefix(server.url).replace("live=1&", ""))
    expect(ui.page.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(2)

    # Search (request and response bodies, users, models) and sorting, both kept in the URL.
    ui.goto("/requests")
    ui.page.get_by_test_id("request-search").fill("staging question")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator(f"a[href='/requests/{second}']")).to_be_visible()
    assert "q=staging+question" in ui.page.url
    ui.page.get_by_test_id("request-search").fill("")
    expect(table.locator("tbody tr")).to_have_count(3)
    table.get_by_role("button", name="Latency").click()
    expect(ui.page).to_have_url(re.compile("sort=latency%3Adesc"))
    expect(table.get_by_role("columnheader", name="Latency")).to_have_attribute(
        "aria-sort", "descending"
    )
    table.get_by_role("button", name="Latency").click()
    expect(ui.page).to_have_url(re.compile("sort=latency%3Aasc"))

    # Open a request: the chat, then edit a property in place.
    ui.page.locator(f"a[href='/requests/{first}']").click()
    detail = ui.page.get_by_test_id("request-detail")
    expect(detail.locator(".message.user")).to_contain_text("first question")
    expect(detail.locator(".message.assistant")).to_be_visible()
    ui.page.get_by_role("button", name="Edit Environment").click()
    ui.page.get_by_test_id("property-edit-input").fill("canary")
    ui.page.get_by_role("button", name="Save").click()
    expect(ui.page.get_by_test_id("property-value-Environment")).to_have_text("canary")

    # Feedback thumbs and a score.
    ui.page.get_by_test_id("feedback-up").click()
    expect(ui.page.get_by_test_id("feedback-up")).to_have_attribute("aria-pressed", "true")
    ui.page.get_by_label("Score name").fill("accuracy")
    ui.page.get_by_label("Score value").fill("87")
    ui.page.get_by_role("button", name="Add score").click()
    expect(ui.page.get_by_test_id("scores")).to_contain_text("accuracy")
    ui.page.get_by_role("tab", name="Response JSON").click()
    expect(ui.page.get_by_role("group", name="Response body")).to_contain_text("choices")
    ui.shot(screenshots, "request-detail-1280-light")

    row = server.wait_for_request(first, org.key)
    assert row["properties"]["Environment"] == "canary"
    assert row["scores"]["helicone-score-feedback"] == 1
    assert row["scores"]["accuracy"] == 87
    assert ui.errors == []


def test_session_tree_and_timeline(server: HeliographProcess, browser: Any, screenshots: Path):
    org = new_org(server)
    session_id = "trip-planner-1"
    steps = ["/plan", "/plan/search", "/plan/search/fetch", "/answer"]
    ids = [
        send(server, org.key, f"step {path}", session=(session_id, path, "Trip planner"))
        for path in steps
    ]
    server.wait_for_request(ids[-1], org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/sessions")
    sessions = ui.page.get_by_test_id("sessions-table")
    expect(sessions.locator("tbody tr")).to_have_count(1)
    expect(sessions).to_contain_text("Trip planner")
    ui.shot(screenshots, "sessions-1280-light")
    sessions.get_by_role("link", name=session_id).click()

    tree = ui.page.get_by_test_id("session-tree")
    for name in ("plan", "search", "fetch", "answer"):
        expect(tree.get_by_text(name, exact=True)).to_be_visible()
    expect(tree.get_by_test_id("tree-request")).to_have_count(4)
    expect(ui.page.get_by_test_id("waterfall").locator(".wf-row")).to_have_count(4)
    tree.get_by_test_id("tree-request").nth(2).click()
    step = ui.page.get_by_test_id("session-step")
    expect(step.locator(".message.user")).to_contain_text("step /plan/search/fetch")
    ui.shot(screenshots, "session-detail-1280-light")
    assert ui.errors == []

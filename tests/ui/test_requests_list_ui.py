"""The requests list as a first-time user meets it: columns, paging, live, filters, costs."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import Org, new_org, open_browser, send


@pytest.fixture(scope="module")
def org(server: HeliographProcess) -> Org:
    """An organization with 52 requests: more than two pages of 25."""
    made = new_org(server)
    ids = [
        send(server, made.key, f"question {n}", properties={"Environment": "production"})
        for n in range(52)
    ]
    server.wait_for_request(ids[-1], made.key)
    return made


def test_the_response_column_can_be_switched_on_at_1440_px(
    server: HeliographProcess, browser: Any, org: Org
):
    ui = open_browser(browser, server.url, width=1440)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(table.get_by_role("columnheader", name="Response")).to_be_hidden()
    ui.page.get_by_role("button", name="Columns").click()
    ui.page.get_by_role("checkbox", name="Response").check()
    expect(table.get_by_role("columnheader", name="Response")).to_be_visible()
    ui.page.reload()
    table = ui.page.get_by_test_id("requests-table")
    expect(table.get_by_role("columnheader", name="Response")).to_be_visible()
    assert ui.errors == []


def test_paging_goes_back_to_the_top_of_the_page(server: HeliographProcess, browser: Any, org: Org):
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests?size=25")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr")).to_have_count(25)
    ui.page.get_by_role("button", name="Next page").scroll_into_view_if_needed()
    assert ui.page.evaluate("window.scrollY") > 200
    ui.page.get_by_role("button", name="Next page").click()
    expect(ui.page.get_by_test_id("pager-info")).to_have_text("Showing 26\u201350")
    ui.page.wait_for_timeout(300)
    assert ui.page.evaluate("window.scrollY") == 0


def test_live_says_why_it_waits_when_sorted_or_paged(
    server: HeliographProcess, browser: Any, org: Org
):
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests?live=1")
    expect(ui.page.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(50)
    expect(ui.page.get_by_test_id("live-paused")).to_have_count(0)
    ui.page.get_by_test_id("requests-table").get_by_role("button", name="Latency").click()
    note = ui.page.get_by_test_id("live-paused")
    expect(note).to_contain_text("newest first")
    note.get_by_role("button", name="Show newest").click()
    expect(note).to_have_count(0)
    assert "sort=" not in ui.page.url
    assert ui.errors == []


def test_rows_are_marked_stale_while_a_filter_reloads(
    server: HeliographProcess, browser: Any, org: Org
):
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests")
    card = ui.page.get_by_test_id("requests-card")
    expect(card.locator("tbody tr")).to_have_count(50)
    held: list[Any] = []
    ui.page.route("**/v1/request/query-clickhouse", lambda route: held.append(route))
    ui.page.get_by_test_id("request-search").fill("question 1")
    expect(card).to_have_attribute("aria-busy", "true")
    opacity = card.locator("table").evaluate(
        """el => {
            let opacity = 1;
            for (let node = el; node; node = node.parentElement) {
                opacity *= Number(getComputedStyle(node).opacity);
            }
            return opacity;
        }"""
    )
    assert opacity < 0.8
    expect(card.get_by_role("status")).to_contain_text("Loading")
    for route in held:
        route.continue_()
    ui.page.unroute("**/v1/request/query-clickhouse")
    expect(card.locator("tbody tr")).to_have_count(11)  # question 1, 10..19
    expect(card.get_by_role("status")).to_have_count(0)


def test_escape_closes_the_filter_panel(server: HeliographProcess, browser: Any, org: Org):
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests")
    ui.page.get_by_test_id("filters-button").click()
    expect(ui.page.get_by_test_id("filter-panel")).to_be_visible()
    ui.page.keyboard.press("Escape")
    expect(ui.page.get_by_test_id("filter-panel")).to_have_count(0)
    expect(ui.page.get_by_test_id("filters-button")).to_have_attribute("aria-expanded", "false")
    expect(ui.page.get_by_test_id("filters-button")).to_be_focused()


def test_the_property_value_box_is_as_wide_as_the_others(
    server: HeliographProcess, browser: Any, org: Org
):
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    # The panel offers the property keys the screen has loaded when it opens: wait for them.
    with ui.page.expect_response("**/v1/property/query"):
        ui.goto("/requests")
    ui.page.get_by_test_id("filters-button").click()
    value = ui.page.get_by_test_id("filter-value")
    expect(value).to_be_visible()
    text_width = _settled_width(value)
    ui.page.get_by_test_id("filter-field").select_option("prop:Environment")
    expect(value).to_have_attribute("list", re.compile("values-"))
    assert _settled_width(value) >= text_width - 1


def _settled_width(element: Any) -> float:
    """The element's width once two readings 100 ms apart agree (the panel may still be
    laying out just after it opened or its field changed)."""
    width = -1.0
    for _ in range(30):
        now = float(element.bounding_box()["width"])
        if now == width:
            return now
        width = now
        time.sleep(0.1)
    return width


def test_costs_under_a_cent_have_one_precision(server: HeliographProcess, browser: Any, org: Org):
    ui = open_browser(browser, server.url)
    ui.goto("/signin")
    shown = ui.page.evaluate(
        """async () => {
            const url = [...document.scripts].find((s) => s.src.endsWith("/js/app.js")).src;
            const { fmtCost } = await import(url.replace("/js/app.js", "/js/format.js"));
            return [0.0091, 0.00123, 0.000045, 0.0000002].map(fmtCost);
        }"""
    )
    assert shown == ["$0.009100", "$0.001230", "$0.000045", "<$0.000001"]

"""A session's page as a first-time user meets it: a collapsible tree."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_a_tree_node_collapses_and_expands(server: HeliographProcess, browser: Any):
    org = new_org(server)
    steps = ["/plan", "/plan/search", "/plan/search/fetch", "/answer"]
    ids = [send(server, org.key, f"step {p}", session=("tree-1", p, "Tree")) for p in steps]
    server.wait_for_request(ids[-1], org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/sessions/tree-1")
    tree = ui.page.get_by_test_id("session-tree")
    expect(tree.get_by_test_id("tree-request")).to_have_count(4)
    toggle = tree.get_by_role("button", name="search", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tree.get_by_text("fetch", exact=True)).to_be_hidden()
    visible = tree.locator("[data-testid=tree-request]:visible")
    expect(visible).to_have_count(2)  # /plan/search's own and /plan/search/fetch's are folded
    toggle.click()
    expect(tree.get_by_text("fetch", exact=True)).to_be_visible()
    expect(visible).to_have_count(4)
    assert ui.errors == []

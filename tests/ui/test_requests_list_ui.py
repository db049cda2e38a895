"""The requests list as a first-time user meets it: columns, paging, live, filters, costs."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import Org, new_org, open_browser, send


@pytest.fixture(scope="module")
def org(server: HeliographProcess) -> Org:
    """An organization with 27 requests: more than a page of 25."""
    made = new_org(server)
    ids = [
        send(server, made.key, f"question {n}", properties={"Environment": "production"})
        for n in range(27)
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

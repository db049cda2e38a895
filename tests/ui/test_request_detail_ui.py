"""A request's page as a first-time user meets it: editing, a missing id, Back, images, cache."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_property_edit_box_is_wide_enough_to_read(
    server: HeliographProcess, browser: Any, width: int
):
    org = new_org(server)
    first = send(server, org.key, properties={"Environment": "production-eu-west"})
    server.wait_for_request(first, org.key)
    ui = open_browser(browser, server.url, width=width)
    ui.sign_in_with_key(org.key)
    ui.goto(f"/requests/{first}")
    ui.page.get_by_role("button", name="Edit Environment").click()
    box = ui.page.get_by_test_id("property-edit-input").bounding_box()
    assert box is not None and box["width"] >= 120, box
    assert ui.errors == []

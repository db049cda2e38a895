"""The dashboard marks calls that Helicone-Moderations-Enabled flagged or refused, and filters
by them (docs/security.md#moderation)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def moderated(server: HeliographProcess, key: str, content: str, provider_key: str) -> str:
    """One passthrough call with moderation on; returns its request id."""
    request_id = str(uuid.uuid4())
    headers = {
        "Authorization": f"Bearer {provider_key}",
        "Helicone-Auth": f"Bearer {key}",
        "Helicone-Request-Id": request_id,
        "Helicone-Moderations-Enabled": "true",
    }
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}
    httpx.post(f"{server.url}/openai/v1/chat/completions", headers=headers, json=body, timeout=30)
    return request_id


def test_flagged_and_blocked_requests_are_marked_and_filtered(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    plain = send(server, org.key, "an unmoderated question")
    clean = moderated(server, org.key, "a kind question", "sk-fake-provider")
    flagged = moderated(server, org.key, "flag:violence flag:hate", "sk-fake-provider")
    blocked = moderated(server, org.key, "a question", "sk-fake-behaviour:moderation_status=500")
    for request_id in (plain, clean, flagged, blocked):
        server.wait_for_request(request_id, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/requests")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr")).to_have_count(4)

    def badge(request_id: str) -> Any:
        row = table.locator("tbody tr").filter(
            has=ui.page.locator(f"a[href='/requests/{request_id}']")
        )
        return row.get_by_test_id("moderation-badge")

    expect(badge(flagged)).to_have_text("flagged")
    expect(badge(flagged)).to_have_attribute(
        "title", "Flagged by OpenAI's moderation endpoint; not sent (hate, violence)"
    )
    expect(badge(blocked)).to_have_text("blocked")
    expect(badge(clean)).to_have_count(0)
    expect(badge(plain)).to_have_count(0)
    ui.shot(screenshots, "requests-moderation-1280-light")

    # Filter builder: Blocked by moderation is yes.
    ui.page.get_by_test_id("filters-button").click()
    ui.page.get_by_test_id("filter-field").select_option("moderation_blocked")
    ui.page.get_by_test_id("filter-apply").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(f"a[href='/requests/{clean}']")).to_have_count(0)
    expect(ui.page.get_by_test_id("filter-chip")).to_have_text("Blocked by moderation is yes")

    # Moderation is flagged, from the URL.
    ui.goto("/requests?f=moderation%7Cequals%7Cflagged")
    table = ui.page.get_by_test_id("requests-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator(f"a[href='/requests/{flagged}']")).to_be_visible()
    expect(ui.page.get_by_test_id("filter-chip")).to_have_text("Moderation is flagged")

    # The request's page says so too.
    table.locator(f"a[href='/requests/{flagged}']").click()
    expect(
        ui.page.get_by_test_id("request-detail").get_by_test_id("moderation-badge")
    ).to_have_text("flagged")
    assert ui.errors == []

"""A request's page as a first-time user meets it: editing, a missing id, Back, images, cache."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

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


def test_a_missing_request_says_not_found(server: HeliographProcess, browser: Any):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto(f"/requests/{uuid.uuid4()}")
    alert = ui.page.get_by_role("alert")
    expect(alert).to_contain_text("Request not found")
    expect(alert.get_by_role("button", name="Try again")).to_have_count(0)
    expect(alert.get_by_role("link", name="All requests")).to_be_visible()


def test_back_returns_to_the_session_the_request_was_opened_from(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    step = send(server, org.key, "plan it", session=("back-1", "/plan", "Back test"))
    server.wait_for_request(step, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/requests")  # the requests list was seen first: Back must not go there
    expect(ui.page.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(1)
    ui.goto("/sessions/back-1")
    ui.page.get_by_test_id("tree-request").first.click()
    ui.page.get_by_role("link", name="Open request").click()
    expect(ui.page.get_by_test_id("request-detail")).to_be_visible()
    ui.page.get_by_role("link", name="Back to session").click()
    expect(ui.page).to_have_url(f"{server.url}/sessions/back-1")
    expect(ui.page.get_by_test_id("session-tree")).to_be_visible()
    assert ui.errors == []


def test_images_in_a_logged_body_load_only_on_click(server: HeliographProcess, browser: Any):
    org = new_org(server)
    request_id = str(uuid.uuid4())
    image = "https://images.example.net/cat.png"
    answer = httpx.post(
        f"{server.url}/openai/v1/chat/completions",
        headers={
            "Authorization": "Bearer sk-fake-provider",
            "Helicone-Auth": f"Bearer {org.key}",
            "Helicone-Request-Id": request_id,
        },
        json={
            "model": "gpt-4o-mini",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": image}},
                    ],
                }
            ],
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    server.wait_for_request(request_id, org.key)
    ui = open_browser(browser, server.url)
    fetched: list[str] = []

    def third_party(route: Any) -> None:
        fetched.append(route.request.url)
        route.fulfill(status=404, body="")

    ui.page.route("https://images.example.net/**", third_party)
    ui.sign_in_with_key(org.key)
    ui.goto(f"/requests/{request_id}")
    placeholder = ui.page.get_by_test_id("image-placeholder")
    expect(placeholder).to_contain_text(image)
    ui.page.wait_for_load_state("networkidle")
    assert fetched == []
    expect(ui.page.locator(".message img")).to_have_count(0)
    placeholder.get_by_role("button", name="Load image").click()
    expect(ui.page.locator(".message img")).to_have_attribute("src", image)
    ui.page.wait_for_timeout(300)
    assert fetched == [image]


def test_a_cache_hit_of_a_call_not_streamed_has_no_time_to_first_token(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    headers = {
        "Authorization": "Bearer sk-fake-provider",
        "Helicone-Auth": f"Bearer {org.key}",
        "Helicone-Cache-Enabled": "true",
    }
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "cache me"}]}
    ids = []
    for _ in range(2):
        request_id = str(uuid.uuid4())
        answer = httpx.post(
            f"{server.url}/openai/v1/chat/completions",
            headers={**headers, "Helicone-Request-Id": request_id},
            json=body,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        ids.append((request_id, answer.headers.get("helicone-cache")))
        server.wait_for_request(request_id, org.key)
    hit, cache = ids[1]
    assert cache == "HIT"
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto(f"/requests/{hit}")
    ttft = ui.page.locator(".stat", has_text="Time to first token").locator(".value")
    expect(ttft).to_have_text("—")
    assert ui.errors == []

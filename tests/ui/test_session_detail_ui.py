"""A session's page as a first-time user meets it: the step's whole input, a collapsible tree."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_a_step_says_how_many_earlier_messages_it_folds_and_shows_them(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    request_id = str(uuid.uuid4())
    messages = [
        {"role": "system", "content": "You are a terse travel agent."},
        {"role": "user", "content": "Rome or Paris?"},
        {"role": "assistant", "content": "Rome."},
        {"role": "user", "content": "Why?"},
        {"role": "assistant", "content": "Food."},
        {"role": "user", "content": "And in winter?"},
    ]
    answer = httpx.post(
        f"{server.url}/openai/v1/chat/completions",
        headers={
            "Authorization": "Bearer sk-fake-provider",
            "Helicone-Auth": f"Bearer {org.key}",
            "Helicone-Request-Id": request_id,
            "Helicone-Session-Id": "folded-1",
            "Helicone-Session-Path": "/ask",
            "Helicone-Session-Name": "Folded",
        },
        json={"model": "gpt-4o-mini", "messages": messages},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    server.wait_for_request(request_id, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/sessions/folded-1")
    step = ui.page.get_by_test_id("session-step")
    expect(step.locator(".message.user").last).to_contain_text("And in winter?")
    expect(step.get_by_text("You are a terse travel agent.")).to_have_count(0)
    earlier = step.get_by_role("button", name="3 earlier messages")
    expect(earlier).to_be_visible()
    earlier.click()
    expect(step.locator(".message.system")).to_contain_text("You are a terse travel agent.")
    expect(step.locator(".message")).to_have_count(7)  # the six sent and the answer
    assert ui.errors == []


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


def test_the_duration_is_the_same_on_the_list_and_the_session(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    send(server, org.key, "first", session=("span-1", "/first", "Span"))
    last = str(uuid.uuid4())
    answer = httpx.post(  # slow to answer: the span to its end is 300 ms longer
        f"{server.url}/openai/v1/chat/completions",
        headers={
            "Authorization": "Bearer sk-fake-provider",
            "Helicone-Auth": f"Bearer {org.key}",
            "Helicone-Request-Id": last,
            "Helicone-Session-Id": "span-1",
            "Helicone-Session-Path": "/last",
            "x-fake-behaviour": "delay_ms=300",
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "last"}]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    server.wait_for_request(last, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/sessions")
    sessions = ui.page.get_by_test_id("sessions-table")
    listed = sessions.locator("tbody tr").first.locator("td").nth(3).inner_text()
    assert listed.endswith("ms") or listed.endswith(" s"), listed
    sessions.get_by_role("link", name="span-1").click()
    duration = ui.page.locator(".stat", has_text="Duration").locator(".value")
    expect(duration).to_have_text(listed)
    assert ui.errors == []

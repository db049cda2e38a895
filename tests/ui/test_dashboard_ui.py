"""The dashboard's overview as a first-time user reads it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_the_users_card_counts_rate_limited_requests_as_requests(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    statuses, ids = [], []
    for _ in range(3):  # one user, a limit of one call a minute: two calls refused
        request_id = str(uuid.uuid4())
        answer = httpx.post(
            f"{server.url}/openai/v1/chat/completions",
            headers={
                "Authorization": "Bearer sk-fake-provider",
                "Helicone-Auth": f"Bearer {org.key}",
                "Helicone-Request-Id": request_id,
                "Helicone-User-Id": "u1",
                "Helicone-RateLimit-Policy": "1;w=60;s=user",
            },
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
        statuses.append(answer.status_code)
        ids.append(request_id)
    assert statuses == [200, 429, 429]
    for request_id in ids:
        server.wait_for_request(request_id, org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.goto("/dashboard")
    users = ui.page.locator(".stat", has_text="Users")
    expect(users.locator(".value")).to_have_text("1")
    expect(users.locator(".sub")).to_have_text("2 requests rate-limited")
    assert ui.errors == []


def test_last_7_days_has_hour_buckets_on_every_load(server: HeliographProcess, browser: Any):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.page.wait_for_load_state("networkidle")  # the sign-in's own dashboard (24 h)
    with ui.page.expect_response("**/v1/metrics/over-time") as answer:
        ui.goto("/dashboard?range=7d")
    ui.page.wait_for_load_state("networkidle")
    assert answer.value.json()["data"]["increment"] == "hour"
    sent = answer.value.request.post_data_json["timeFilter"]
    assert sent["start"][10:] == sent["end"][10:]  # one window end, seven days before it
    # Two clock reads a few milliseconds apart made "7 days" 7 days and 1 ms, and day buckets.
    increment = ui.page.evaluate(
        """async () => {
            const url = [...document.scripts].find((s) => s.src.endsWith("/js/app.js")).src;
            const { api } = await import(url.replace("/js/app.js", "/js/api.js"));
            const end = new Date();
            const start = new Date(end.getTime() - 7 * 86400e3 - 3);
            const timeFilter = { start: start.toISOString(), end: end.toISOString() };
            const series = await api.post("/v1/metrics/over-time", { filter: "all", timeFilter });
            return series.increment;
        }"""
    )
    assert increment == "hour"
    assert ui.errors == []


def test_time_axis_labels_are_distinct_and_inside_the_chart(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    server.wait_for_request(send(server, org.key), org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_key(org.key)
    ui.page.wait_for_load_state("networkidle")
    ui.goto("/dashboard?range=7d")
    chart = ui.page.get_by_role("region", name="Requests", exact=True).locator("svg").first
    expect(chart).to_be_visible()
    labels = chart.evaluate(
        """svg => {
            const box = svg.getBoundingClientRect();
            const bottom = [...svg.querySelectorAll("text.axis-label")]
                .filter((t) => Number(t.getAttribute("y")) > svg.height.baseVal.value - 20);
            return bottom.map((t) => {
                const r = t.getBoundingClientRect();
                const [left, right] = [r.left - box.left, r.right - box.left];
                return { text: t.textContent, left, right, width: box.width };
            });
        }"""
    )
    texts = [label["text"] for label in labels]
    assert len(texts) >= 2 and len(set(texts)) == len(texts), texts
    assert all(0 <= label["left"] and label["right"] <= label["width"] for label in labels), labels
    assert ui.errors == []

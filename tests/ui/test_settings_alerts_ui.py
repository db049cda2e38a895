"""The alert form checks its own fields before the API is asked."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser


def test_an_alert_without_a_recipient_is_refused_in_the_form(
    server: HeliographProcess, browser: Any
):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/settings/alerts")
    form = ui.page.get_by_role("region", name="New alert")
    posted: list[str] = []
    ui.page.on(
        "request",
        lambda request: posted.append(request.url) if "/v1/alert/create" in request.url else None,
    )
    form.get_by_label("Alert name").fill("Errors")
    form.get_by_role("button", name="Create alert").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Add an e-mail or a webhook URL to notify when the alert fires."
    )
    expect(form.get_by_label("E-mail recipients")).to_have_attribute("aria-invalid", "true")
    expect(ui.page.get_by_text("webhook_urls")).to_have_count(0)
    assert posted == []

    form.get_by_label("E-mail recipients").fill("oncall@example.com")
    expect(form.get_by_role("alert")).to_have_count(0)
    form.get_by_role("button", name="Create alert").click()
    expect(ui.page.get_by_role("region", name="Alert rules")).to_contain_text("Errors")
    assert ui.errors == []

"""The Evaluators screens in a real browser: the empty list, a Python evaluator created,
tested on a logged request, attached to live traffic with a property filter (a matching call
is then scored and shows in the stats and recent scores), detached; an LLM judge created and
tested on a request through the gateway; delete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import GATEWAY_ENV
from tests.server import HeliographProcess
from tests.ui.helpers import Browser, new_org, open_browser, send

PRODUCTION = {"Environment": "production"}
PYTHON_CODE = "def evaluate(request, response):\n    print(response['model'])\n    return 7\n"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    """A server of its own with an OpenAI key: the judge's calls go through its gateway."""
    process = HeliographProcess(
        tmp_path_factory.mktemp("evaluators-ui") / "data", fake_provider.url, env=GATEWAY_ENV
    )
    process.start()
    yield process
    process.stop()


def _wait_for_score(server: HeliographProcess, key: str, request_id: str, name: str) -> Any:
    deadline = time.monotonic() + 30
    while name not in (scores := server.wait_for_request(request_id, key)["scores"]):
        assert time.monotonic() < deadline, f"{request_id} has no score {name}: {scores}"
        time.sleep(0.1)
    return scores[name]


def _create(ui: Browser, name: str, scoring: str, **fields: str) -> None:
    ui.page.get_by_test_id("new-evaluator-button").click()
    form = ui.page.get_by_test_id("new-evaluator")
    form.get_by_label("Evaluator name").fill(name)
    form.get_by_label("Scoring type").select_option(label=scoring)
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Create evaluator").click()
    expect(ui.page.locator("h1")).to_have_text(name)


def _test_on(ui: Browser, request_id: str) -> Any:
    panel = ui.page.get_by_test_id("test-evaluator")
    panel.get_by_label("Request id").fill(request_id)
    panel.get_by_role("button", name="Run").click()
    return panel.get_by_test_id("test-result")


def test_create_test_attach_score_detach_and_delete(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    logged = send(server, org.key, "is it sunny?")
    server.wait_for_request(logged, key=org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.page.on("dialog", lambda dialog: dialog.accept())

    ui.page.get_by_role("link", name="Evaluators", exact=True).click()
    expect(ui.page.get_by_text("No evaluators yet")).to_be_visible()
    _create(ui, "Short answers", "Python", **{"Python code": PYTHON_CODE})
    expect(ui.page.get_by_test_id("score-name")).to_have_text("short_answers")
    expect(ui.page.get_by_text("No scores yet")).to_be_visible()

    result = _test_on(ui, logged)
    expect(result).to_contain_text("Score 7")
    expect(result).to_contain_text("gpt-4o-mini")  # what the code printed
    with server.api(org.key) as client:  # a test run writes no score
        assert client.get(f"/v1/request/{logged}").json()["data"]["scores"] == {}

    attach = ui.page.get_by_test_id("attach-online")
    attach.get_by_label("Sample rate (%)").fill("100")
    attach.get_by_role("button", name="Add filter").click()
    attach.get_by_label("Property name").fill("Environment")
    attach.get_by_label("Property value").fill("production")
    attach.get_by_role("button", name="Attach").click()
    online = ui.page.get_by_test_id("online-evaluator")
    expect(online).to_have_count(1)
    expect(online).to_contain_text("100% of Environment = production")

    matching = send(server, org.key, "scored live", properties=PRODUCTION)
    unmatched = send(server, org.key, "not scored")
    assert _wait_for_score(server, org.key, matching, "short_answers") == 7
    ui.page.get_by_test_id("refresh-scores").click()
    expect(ui.page.get_by_test_id("stat-uses")).to_contain_text("1")
    expect(ui.page.get_by_test_id("stat-average")).to_contain_text("7")
    expect(ui.page.get_by_test_id("score-distribution")).to_contain_text("0-20")
    recent = ui.page.get_by_test_id("recent-scores").locator("tbody tr")
    expect(recent).to_have_count(1)
    expect(recent.first).to_contain_text("7")
    expect(recent.first.locator(f"a[href='/requests/{matching}']")).to_have_count(1)
    assert "short_answers" not in server.wait_for_request(unmatched, key=org.key)["scores"]
    ui.shot(screenshots, "evaluator-detail-1280-light")

    online.get_by_role("button", name="Detach").click()
    expect(online).to_have_count(0)
    expect(ui.page.get_by_text("Not attached")).to_be_visible()
    with server.api(org.key) as client:
        evaluators = client.post("/v1/evaluator/query", json={}).json()["data"]
        listed = client.get(f"/v1/evaluator/{evaluators[0]['id']}/onlineEvaluators")
    assert listed.json()["data"] == []

    ui.page.get_by_role("link", name="Evaluators", exact=True).click()
    _create(ui, "Helpful", "Judge: range", **{"Judge prompt": "reply: 8"})
    expect(_test_on(ui, logged)).to_contain_text("Score 8")
    ui.page.get_by_role("link", name="Evaluators", exact=True).click()
    table = ui.page.get_by_test_id("evaluators-table").locator("tbody tr")
    expect(table).to_have_count(2)
    expect(table.first).to_contain_text("Helpful")
    expect(table.first).to_contain_text("Judge: range")
    ui.shot(screenshots, "evaluators-1280-light")

    _fits_a_phone(browser, server.url, org.email, ui.page.url, screenshots)
    ui.page.get_by_role("link", name="Short answers").click()
    ui.page.get_by_test_id("delete-evaluator").click()
    expect(table).to_have_count(1)
    assert ui.errors == []


def _fits_a_phone(browser: Any, base_url: str, email: str, list_url: str, folder: Path) -> None:
    """The list and the first evaluator's screen at 375 px: no page-wide horizontal scroll."""
    phone = open_browser(browser, base_url, width=375, theme="dark")
    phone.sign_in_with_password(email)
    phone.page.goto(list_url)
    phone.page.get_by_test_id("evaluators-table").locator("tbody a").first.click()
    expect(phone.page.get_by_test_id("stat-uses")).to_be_visible()
    phone.shot(folder, "evaluator-detail-375-dark")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 376
    assert phone.errors == []


def test_a_test_on_an_unknown_request_says_so(server: HeliographProcess, browser: Any):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/evaluators")
    _create(
        ui,
        "Broken",
        "Python",
        **{"Python code": "def evaluate(request, response):\n    return 1/0\n"},
    )
    logged = send(server, org.key, "hello")
    server.wait_for_request(logged, key=org.key)
    expect(_test_on(ui, logged)).to_contain_text("No score ZeroDivisionError")
    _test_on(ui, "00000000-0000-4000-8000-000000000000")
    expect(ui.page.locator(".toast.err")).to_contain_text("not found", ignore_case=True)

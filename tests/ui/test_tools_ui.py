"""HQL with CSV download, webhooks, API keys and org isolation, in a real browser."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_hql_query_results_and_csv_download(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    ids = [send(server, org.key, f"q{i}", model=m) for i, m in enumerate(["gpt-4o", "gpt-4o"])]
    server.wait_for_request(ids[-1], org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/hql")
    expect(ui.page.get_by_test_id("hql-schema")).to_contain_text("request_response_rmt")
    editor = ui.page.get_by_test_id("hql-editor")
    editor.fill("")
    editor.type("SELECT model, count() AS n FROM request_response_rmt GROUP BY mod")
    # Completion offers the schema's column: Enter accepts it.
    expect(ui.page.get_by_role("option", name=re.compile("^model"))).to_be_visible()
    editor.press("Enter")
    assert editor.input_value().endswith("GROUP BY model")
    editor.press("Control+Enter")
    results = ui.page.get_by_test_id("hql-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("gpt-4o")
    expect(results.locator("tbody td").nth(1)).to_have_text("2")
    ui.shot(screenshots, "hql-1280-light")

    with ui.page.expect_download() as download:
        ui.page.get_by_test_id("hql-download").click()
    text = Path(download.value.path()).read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["model", "n"]
    assert rows[1] == ["gpt-4o", "2"]

    # Ctrl+S saves the query under a name; picking it later loads it into the editor.
    ui.page.once("dialog", lambda dialog: dialog.accept("Requests per model"))
    editor.press("Control+s")
    saved = ui.page.get_by_test_id("saved-queries")
    expect(saved.get_by_role("button", name="Requests per model", exact=True)).to_be_visible()
    editor.fill("SELECT 1")
    saved.get_by_role("button", name="Requests per model", exact=True).click()
    assert editor.input_value().endswith("GROUP BY model")
    with server.api(org.key) as client:
        stored = client.get("/v1/helicone-sql/saved-queries").json()["data"]
    assert [(q["name"], q["sql"]) for q in stored] == [("Requests per model", editor.input_value())]
    assert ui.errors == []


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"] or 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    """A local endpoint for webhook deliveries."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


def test_create_a_webhook_see_its_delivery_then_delete_it(
    start_server: Callable[..., HeliographProcess],
    browser: Any,
    screenshots: Path,
    receiver: str,
):
    # The receiver listens on loopback, which the outbound policy allows only when listed.
    server = start_server(env={"HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1"})
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/settings/webhooks")
    expect(ui.page.get_by_text("No webhooks")).to_be_visible()
    ui.page.get_by_test_id("webhook-destination").fill(receiver)
    ui.page.get_by_label("Property filters").fill("Environment=production")
    ui.page.get_by_test_id("webhook-create").click()
    expect(ui.page.get_by_test_id("webhook-secret")).to_be_visible()
    webhook = ui.page.get_by_test_id("webhook")
    expect(webhook).to_have_count(1)
    expect(webhook).to_contain_text(receiver)
    expect(webhook).to_contain_text("only Environment=production")
    with server.api(org.key) as client:
        assert len(client.get("/v1/webhooks").json()["data"]) == 1

    request_id = send(server, org.key, "hooked", properties={"Environment": "production"})
    server.wait_for_request(request_id, org.key)
    with server.api(org.key) as client:
        webhook_id = client.get("/v1/webhooks").json()["data"][0]["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the delivery worker runs in the background
            log = client.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["data"]
            if log and log[0]["status"] == "delivered":
                break
            time.sleep(0.2)
    webhook.get_by_role("button", name="Delivery log").click()
    deliveries = webhook.get_by_test_id("webhook-deliveries")
    expect(deliveries).to_contain_text("delivered")
    expect(deliveries.locator(f"a[href='/requests/{request_id}']")).to_be_visible()
    assert any(request_id.encode() in body for body in _Receiver.received)
    ui.shot(screenshots, "settings-webhooks-deliveries-1280-light")

    webhook.get_by_role("button", name="Send test").click()
    expect(ui.page.locator(".toast")).to_contain_text("Test delivered: HTTP 200")
    assert any(b"heliograph-webhook-test" in body for body in _Receiver.received)

    ui.page.once("dialog", lambda dialog: dialog.accept())
    webhook.get_by_role("button", name=re.compile("Delete webhook")).click()
    expect(ui.page.get_by_text("No webhooks")).to_be_visible()
    with server.api(org.key) as client:
        assert client.get("/v1/webhooks").json()["data"] == []
    assert ui.errors == []


def test_create_disable_and_delete_an_alert(server: HeliographProcess, browser: Any):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/settings/alerts")
    expect(ui.page.get_by_text("No alerts")).to_be_visible()
    ui.page.get_by_label("Alert name").fill("Costly hour")
    ui.page.get_by_label("Metric").select_option("cost")
    ui.page.get_by_label("Threshold").fill("25")
    ui.page.get_by_label("E-mail recipients").fill("oncall@example.com")
    ui.page.get_by_role("button", name="Create alert").click()
    alerts = ui.page.get_by_test_id("alerts-table")
    expect(alerts).to_contain_text("Costly hour")
    expect(alerts).to_contain_text("$25.00")
    alerts.get_by_role("button", name="Disable").click()
    expect(alerts).to_contain_text("disabled")
    with server.api(org.key) as client:
        stored = client.get("/v1/alert/query").json()["data"]["alerts"]
    assert [(a["name"], a["metric"], a["threshold"], a["enabled"]) for a in stored] == [
        ("Costly hour", "cost", 25, False)
    ]
    assert stored[0]["emails"] == ["oncall@example.com"]
    ui.page.once("dialog", lambda dialog: dialog.accept())
    alerts.get_by_role("button", name="Delete alert Costly hour").click()
    expect(ui.page.get_by_text("No alerts")).to_be_visible()
    assert ui.errors == []


def test_create_and_revoke_an_api_key(server: HeliographProcess, browser: Any, screenshots: Path):
    org = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.goto("/settings/api-keys")
    ui.page.get_by_label("New key name").fill("from the dashboard")
    ui.page.get_by_role("button", name="Create key").click()
    shown = ui.page.get_by_test_id("new-api-key").locator("code")
    expect(shown).to_have_text(re.compile(r"^sk-helicone-"))
    new_key = shown.inner_text()
    table = ui.page.get_by_test_id("api-keys-table")
    expect(table).to_contain_text("from the dashboard")
    assert new_key not in table.inner_text(), "the list shows previews only"
    ui.shot(screenshots, "settings-api-keys-1280-light")
    with server.api(new_key) as client:
        assert client.get("/v1/webhooks").status_code == 200

    ui.page.once("dialog", lambda dialog: dialog.accept())
    table.get_by_role("button", name="Revoke from the dashboard").click()
    expect(table).not_to_contain_text("from the dashboard")
    with server.api(new_key) as client:
        assert client.get("/v1/webhooks").status_code == 401

    # A read-only key: it reads, and every write is refused.
    ui.page.get_by_label("New key name").fill("reader")
    ui.page.get_by_label("Permissions").select_option("r")
    ui.page.get_by_role("button", name="Create key").click()
    expect(shown).not_to_have_text(new_key)
    reader = shown.inner_text()
    expect(table.get_by_role("row", name=re.compile("reader"))).to_contain_text("Read only")
    with server.api(reader) as client:
        assert client.get("/v1/webhooks").status_code == 200
        assert client.post("/v1/alert/create", json={}).status_code == 403
    assert ui.errors == []


def test_a_second_organization_sees_none_of_the_first_ones_data(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    first = new_org(server)
    request_id = send(
        server,
        first.key,
        "secret of the first org",
        properties={"Tenant": "first"},
        user="first-user",
        session=("first-session", "/a", "First org session"),
    )
    server.wait_for_request(request_id, first.key)
    second = new_org(server)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(second.email)

    ui.goto("/requests")
    expect(ui.page.get_by_text("No requests yet")).to_be_visible()
    ui.goto(f"/requests/{request_id}")
    expect(ui.page.get_by_role("alert")).to_contain_text("Request not found")
    ui.goto("/sessions/first-session")
    expect(ui.page.get_by_role("alert")).to_contain_text("Session not found")
    ui.goto("/sessions")
    expect(ui.page.get_by_text("No sessions yet")).to_be_visible()
    ui.goto("/users")
    expect(ui.page.get_by_text("No users yet")).to_be_visible()
    ui.goto("/properties")
    expect(ui.page.get_by_text("No custom properties yet")).to_be_visible()
    ui.goto("/dashboard")
    expect(ui.page.get_by_text("Welcome to Heliograph")).to_be_visible()
    ui.goto("/hql")
    ui.page.get_by_test_id("hql-editor").fill(
        "SELECT count() AS n, countIf(user_id = 'first-user') AS theirs FROM request_response_rmt"
    )
    ui.page.get_by_test_id("hql-run").click()
    cells = ui.page.get_by_test_id("hql-results").locator("tbody td")
    expect(cells.nth(0)).to_have_text("0")
    expect(cells.nth(1)).to_have_text("0")
    assert "secret of the first org" not in ui.page.locator("body").inner_text()
    assert ui.errors == []

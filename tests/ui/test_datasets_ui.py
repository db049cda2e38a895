"""The Datasets screens in a real browser: requests added from the Requests screen by
selection and by the current filter, the list, a dataset's rows edited (the logged request
untouched) and removed, an export, and delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send


def test_curate_from_requests_edit_remove_export_delete(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    picked = [send(server, org.key, f"pick me {i}") for i in range(2)]
    later = [send(server, org.key, f"by filter {i}") for i in range(2)]
    for request_id in picked + later:
        server.wait_for_request(request_id, key=org.key)
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    ui.page.on("dialog", lambda dialog: dialog.accept())

    ui.goto("/requests")
    expect(ui.page.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(4)
    for request_id in picked:
        ui.page.get_by_label(f"Select request {request_id}").check()
    ui.page.get_by_test_id("add-to-dataset-button").click()
    panel = ui.page.get_by_test_id("add-to-dataset")
    panel.get_by_label("New dataset name").fill("Curated")
    panel.get_by_test_id("add-selected").click()
    expect(panel).to_have_count(0)

    ui.page.get_by_role("link", name="Datasets", exact=True).click()
    table = ui.page.get_by_test_id("datasets-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first).to_contain_text("Curated")
    expect(table.locator("tbody tr").first).to_contain_text("2")
    ui.shot(screenshots, "datasets-1280-light")
    ui.page.get_by_role("link", name="Curated").click()
    rows = ui.page.get_by_test_id("dataset-rows").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(ui.page.locator("h1")).to_have_text("Curated")

    # Edit the newest row's answer: the row changes, the logged request does not.
    rows.first.get_by_role("button", name="Edit row").click()
    form = ui.page.get_by_test_id("edit-row")
    better = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Curated answer"}}]
    }
    form.get_by_label("Response body").fill(json.dumps(better))
    form.get_by_role("button", name="Save row").click()
    expect(rows.first).to_contain_text("Curated answer")
    with server.api(org.key) as client:
        logged = client.get(f"/v1/request/{picked[1]}").json()["data"]
    assert "Curated answer" not in json.dumps(logged["response_body"])
    ui.shot(screenshots, "dataset-rows-1280-light")

    rows.first.get_by_role("button", name="Remove row").click()
    expect(rows).to_have_count(1)
    expect(ui.page.get_by_test_id("dataset-count")).to_contain_text("1 rows")
    with ui.page.expect_download() as download:
        ui.page.get_by_test_id("export-jsonl").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert [json.loads(line)["messages"][0] for line in lines] == [
        {"role": "user", "content": "pick me 0"}
    ]

    # Every request the current search matches, into the existing dataset.
    ui.goto("/requests")
    ui.page.get_by_label("Search requests").fill("by filter")
    expect(ui.page.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(2)
    ui.page.get_by_test_id("add-to-dataset-button").click()
    panel = ui.page.get_by_test_id("add-to-dataset")
    panel.get_by_test_id("dataset-picker").select_option(label="Curated (1)")
    panel.get_by_test_id("add-filtered").click()
    expect(panel).to_have_count(0)
    ui.goto("/datasets")
    expect(ui.page.get_by_test_id("datasets-table").locator("tbody tr").first).to_contain_text("3")

    ui.page.get_by_role("link", name="Curated").click()
    expect(rows).to_have_count(3)
    ui.page.get_by_test_id("delete-dataset").click()
    expect(ui.page.get_by_text("No datasets yet")).to_be_visible()
    assert ui.errors == []

"""The Experiments screens in a real browser: an experiment set up from a saved prompt, an
edited version added inline, rows typed in, the cost estimate, a slow run watched live and
stopped, then run to the end, the comparison table of both versions' answers, a row edited and
run again, and the edited version promoted to production; then an experiment started empty
and deleted, rows from a dataset, and an evaluator's scores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.evaluators.helpers import create_evaluator, judge_template
from tests.experiments.helpers import EDITED, ORIGINAL, call, prompt_experiment
from tests.server import HeliographProcess
from tests.ui.helpers import add_provider_key, new_org, open_browser

RUN_TIMEOUT_MS = 60_000


def test_set_up_run_compare_and_promote(server: HeliographProcess, browser: Any, screenshots: Path):
    org = new_org(server)
    prompt = call(
        server, org.key, "POST", "/v1/prompt-2025", {"name": "Topics", "promptBody": ORIGINAL}
    )
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    page = ui.page

    page.get_by_role("link", name="Experiments", exact=True).click()
    expect(page.get_by_text("No experiments yet")).to_be_visible()
    page.get_by_test_id("new-experiment-button").click()
    form = page.get_by_test_id("new-experiment")
    form.get_by_label("Experiment name").fill("Briefer answers")
    form.get_by_label("Prompt", exact=True).select_option(label="Topics")
    expect(form.get_by_label("Prompt version").locator("option")).to_have_count(1)
    form.get_by_role("button", name="Create experiment").click()
    expect(page.locator("h1")).to_have_text("Briefer answers")
    experiment = page.url.rsplit("/", 1)[1]
    versions = page.get_by_test_id("experiment-versions").locator("tbody tr")
    expect(versions).to_have_count(1)
    expect(versions.first).to_contain_text("Original (0.0)")
    expect(versions.first.locator("[data-environment=production]")).to_be_visible()

    # An edited version: the original's body, changed in place.
    page.get_by_test_id("add-version-button").click()
    edit = page.get_by_test_id("add-version")
    body = edit.get_by_label("Prompt body (JSON)")
    assert json.loads(body.input_value()) == ORIGINAL
    edit.get_by_label("Label").fill("briefer")
    body.fill(json.dumps(EDITED, indent=2))
    edit.get_by_role("button", name="Save version").click()
    expect(edit).to_have_count(0)
    expect(versions).to_have_count(2)
    expect(versions.nth(1)).to_contain_text("briefer (0.1)")
    compared = call(server, org.key, "GET", f"/v2/experiment/{experiment}/prompt-versions")
    original, edited = (version["id"] for version in compared)
    assert original == prompt["versionId"]

    # Rows: one typed in, two as JSON lines.
    rows_card = page.get_by_test_id("rows-card")
    rows_card.get_by_label("Input topic").fill("cats")
    rows_card.get_by_role("button", name="Add row", exact=True).click()
    expect(page.get_by_test_id("row-count")).to_have_text("1 rows")
    rows_card.get_by_label("Rows as JSON lines").fill('{"topic": "dogs"}\n{"topic": "owls"}')
    rows_card.get_by_role("button", name="Add rows", exact=True).click()
    expect(page.get_by_test_id("row-count")).to_have_text("3 rows")
    table = page.get_by_test_id("results-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.get_by_test_id("output")).to_have_count(6)
    expect(table.get_by_test_id("output").first).to_have_text("not run")

    # The estimate before running: three calls a version, priced.
    estimate = page.get_by_test_id("estimate-table").locator("tbody tr")
    expect(estimate).to_have_count(2)
    expect(page.get_by_test_id("estimate-total")).to_contain_text("for 6 calls")
    expected = call(server, org.key, "POST", f"/v2/experiment/{experiment}/estimate", {})
    assert [e["calls"] for e in expected] == [3, 3] and all(e["cost"] > 0 for e in expected)
    assert re.search(r"At most \$0\.\d+", page.get_by_test_id("estimate-total").inner_text())
    # Another model for every version: the estimate is asked for again with it.
    model = estimate.first.locator("td").nth(2)
    expect(model).to_have_text("gpt-4o-mini")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    expect(model).to_have_text("gpt-4o")
    page.get_by_label("Model", exact=True).fill("")
    expect(model).to_have_text("gpt-4o-mini")
    page.get_by_label("Run briefer (0.1)").uncheck()
    expect(page.get_by_test_id("estimate-total")).to_contain_text("for 3 calls")
    page.get_by_label("Run briefer (0.1)").check()
    ui.shot(screenshots, "experiment-setup-1280-light")

    # A slow provider (the organization's newest key asks the fake for it): the run is
    # watched while it runs, then stopped; the calls in flight finish, the rest wait.
    add_provider_key(server, org, "sk-fake-behaviour:delay_ms=700")
    page.get_by_label("Concurrency").fill("1")
    page.get_by_test_id("run-experiment").click()
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("run-experiment")).to_be_disabled()
    ui.shot(screenshots, "experiment-running-1280-light")
    page.get_by_test_id("stop-experiment").click()
    expect(progress).to_have_attribute("data-status", "idle")
    expect(page.get_by_test_id("progress-counts")).to_have_text(
        re.compile(r"^[0-5] done, 0 failed, [1-6] pending of 6$")
    )
    expect(page.get_by_test_id("stop-experiment")).to_be_disabled()

    add_provider_key(server, org, "sk-fake")
    page.get_by_label("Concurrency").fill("2")
    page.get_by_test_id("run-experiment").click()
    expect(progress).to_have_attribute("data-status", "idle", timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("progress-counts")).to_have_text("6 done, 0 failed, 0 pending of 6")
    expect(table.get_by_test_id("output-text")).to_have_count(6, timeout=RUN_TIMEOUT_MS)
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("cats")
    expect(first.get_by_test_id("output-text")).to_have_text(["first on cats", "second on cats"])
    expect(table.locator("tbody tr").nth(2).get_by_test_id("output-text")).to_have_text(
        ["first on owls", "second on owls"]
    )
    expect(versions.nth(0)).to_contain_text("3 / 3")
    expect(versions.nth(1)).to_contain_text("3 / 3")
    ui.shot(screenshots, "experiment-results-1280-light")

    # Each answer links to its logged request.
    results = call(server, org.key, "GET", f"/v2/experiment/{experiment}/results")
    request_id = results[0]["outputs"][edited]["request_id"]
    link = first.get_by_test_id("output-request").nth(1)
    expect(link).to_have_attribute("href", f"/requests/{request_id}")
    link.click()
    expect(page.get_by_test_id("request-detail")).to_contain_text("second on cats")
    page.go_back()
    expect(table.get_by_test_id("output-text")).to_have_count(6)

    # A row's inputs changed: its answers stay until the next run answers it again.
    third = table.locator("tbody tr").nth(2)
    third.get_by_role("button", name="Edit row").click()
    edit_row = page.get_by_test_id("edit-row")
    expect(edit_row.get_by_label("New topic")).to_have_value("owls")
    edit_row.get_by_label("New topic").fill("larks")
    edit_row.get_by_role("button", name="Save row").click()
    expect(edit_row).to_have_count(0)
    expect(third).to_contain_text("larks")
    expect(third.get_by_test_id("output-text")).to_have_text(["first on owls", "second on owls"])
    page.get_by_test_id("run-experiment").click()
    expect(third.get_by_test_id("output-text")).to_have_text(
        ["first on larks", "second on larks"], timeout=RUN_TIMEOUT_MS
    )
    expect(table.locator("tbody tr").first.get_by_test_id("output-text")).to_have_text(
        ["first on cats", "second on cats"]
    )

    # Promote the edited version: production serves it from now on.
    promote = page.get_by_test_id("promote")
    promote.get_by_label("Version to promote").select_option(label="briefer (0.1)")
    promote.get_by_label("Environment").select_option("production")
    promote.get_by_role("button", name="Promote").click()
    expect(versions.nth(1).locator("[data-environment=production]")).to_be_visible()
    expect(versions.nth(0).locator("[data-environment=production]")).to_have_count(0)
    production = call(
        server,
        org.key,
        "POST",
        "/v1/prompt-2025/query/production-version",
        {"promptId": prompt["id"]},
    )
    assert production["id"] == edited

    page.get_by_role("banner").get_by_role("link", name="Experiments").click()
    listed = page.get_by_test_id("experiments-table").locator("tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Briefer answers")
    expect(listed.first.get_by_role("link", name="Topics")).to_have_attribute(
        "href", f"/prompts/{prompt['id']}"
    )
    assert ui.errors == []


def test_start_empty_delete_dataset_rows_and_evaluator_scores(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    add_provider_key(server, org, "sk-fake")
    _, experiment, original, _ = prompt_experiment(server, org.key)
    dataset = call(server, org.key, "POST", "/v1/experiment/dataset", {"datasetName": "Topics"})
    for topic in ("ships", "trains"):
        row = f"/v1/experiment/dataset/{dataset['datasetId']}/version/{original}/row"
        call(server, org.key, "POST", row, {"inputs": {"topic": topic}})
    judge = create_evaluator(
        server, org.key, name="Helpful", scoring_type="LLM-RANGE", llm_template=judge_template("4")
    )
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    page = ui.page
    page.on("dialog", lambda dialog: dialog.accept())

    # Start empty: a new prompt of one system message, and an experiment over it; delete it.
    ui.goto("/experiments")
    expect(page.get_by_test_id("experiments-table").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("new-experiment-button").click()
    page.get_by_test_id("start-empty").click()
    expect(page.get_by_test_id("experiment-versions").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("row-count")).to_have_text("0 rows")
    expect(page.get_by_text("No rows yet")).to_be_visible()
    page.get_by_test_id("delete-experiment").click()
    expect(page.get_by_test_id("experiments-table").locator("tbody tr")).to_have_count(1)
    assert [e["id"] for e in call(server, org.key, "GET", "/v2/experiment")] == [experiment]

    # Rows from a dataset, an evaluator attached, a run: every answer scored.
    page.get_by_role("link", name="briefer").click()
    page.get_by_test_id("dataset-picker").select_option(label="Topics")
    page.get_by_role("button", name="Add its rows").click()
    expect(page.get_by_test_id("row-count")).to_have_text("2 rows")
    page.get_by_test_id("evaluator-picker").select_option(label="Helpful (LLM-RANGE)")
    page.get_by_role("button", name="Attach").click()
    expect(page.locator(f"[data-evaluator='{judge['id']}']")).to_be_visible()
    page.get_by_test_id("run-experiment").click()
    table = page.get_by_test_id("results-table")
    expect(table.get_by_test_id("output-text")).to_have_count(4, timeout=RUN_TIMEOUT_MS)
    expect(table.locator("tbody tr").first.get_by_test_id("output-text")).to_have_text(
        ["first on ships", "second on ships"]
    )
    score = f"{judge['score_name']} 4"
    expect(table.get_by_text(score)).to_have_count(4, timeout=RUN_TIMEOUT_MS)
    summary = page.get_by_test_id("experiment-versions").locator("tbody tr")
    expect(summary.nth(0)).to_contain_text(score)
    expect(summary.nth(1)).to_contain_text(score)
    ui.shot(screenshots, "experiment-scores-1280-light")

    page.get_by_role("button", name="Detach Helpful").click()
    expect(page.locator(f"[data-evaluator='{judge['id']}']")).to_have_count(0)
    assert call(server, org.key, "GET", f"/v2/experiment/{experiment}/evaluators") == []
    table.locator("tbody tr").first.get_by_role("button", name="Remove row").click()
    expect(page.get_by_test_id("row-count")).to_have_text("1 rows")
    assert ui.errors == []

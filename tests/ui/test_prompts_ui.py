"""The Prompts screens in a real browser: the list (search, tags, pages), a prompt's versions
and diffs, promote and roll back, tags, rename and delete, the playground (a run through the
gateway, logged; an edit saved as a new version), and another organization's prompts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.server import HeliographProcess
from tests.ui.helpers import Browser, Org, add_provider_key, new_org, open_browser

SYSTEM = "You help customers of {{hc:company:string}} with {{hc:seats:number}} seats."


def body(system: str, **extra: Any) -> dict[str, Any]:
    """A prompt body whose user message is "echo": the fake provider answers with the JSON of
    the request it got, so the answer shows how the gateway filled the variables."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "echo"}]
    return {"model": "gpt-4o-mini", "messages": messages, **extra}


def create_prompt(
    server: HeliographProcess, org: Org, name: str, tags: list[str], prompt_body: dict[str, Any]
) -> tuple[str, str]:
    with server.api(org.key) as client:
        answer = client.post(
            "/v1/prompt-2025", json={"name": name, "tags": tags, "promptBody": prompt_body}
        )
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    return data["id"], data["versionId"]


def new_version(
    server: HeliographProcess,
    org: Org,
    ids: tuple[str, str],
    prompt_body: dict[str, Any],
    message: str,
    **fields: Any,
) -> str:
    prompt_id, base = ids
    request = {"promptId": prompt_id, "promptVersionId": base, "newMajorVersion": False}
    request |= {"commitMessage": message, "promptBody": prompt_body, **fields}
    with server.api(org.key) as client:
        answer = client.post("/v1/prompt-2025/update", json=request)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def serving(server: HeliographProcess, org: Org, prompt_id: str, environment: str) -> str:
    with server.api(org.key) as client:
        answer = client.post(
            "/v1/prompt-2025/query/environment-version",
            json={"promptId": prompt_id, "environment": environment},
        )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def signed_in(server: HeliographProcess, browser: Any, org: Org) -> Browser:
    ui = open_browser(browser, server.url)
    ui.sign_in_with_password(org.email)
    return ui


def changed(diff: Any, kind: str) -> list[str]:
    """The diff's removed ("del") or added ("add") lines, as shown."""
    return [str(text) for text in diff.locator(f".{kind} .text").all_text_contents()]


def names_shown(ui: Browser) -> list[str]:
    return (
        ui.page.get_by_test_id("prompts-table").locator("tbody tr td:first-child").all_inner_texts()
    )


def test_list_search_tag_filter_and_pages(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    create_prompt(server, org, "Support agent", ["support", "chatbot"], body(SYSTEM))
    create_prompt(server, org, "Sales writer", ["sales"], body("Write for {{hc:product:string}}."))
    create_prompt(server, org, "Support triage", ["support"], body("Sort tickets."))
    ui = signed_in(server, browser, org)
    ui.page.get_by_role("link", name="Prompts", exact=True).click()
    expect(ui.page.get_by_test_id("prompts-table").locator("tbody tr")).to_have_count(3)
    assert names_shown(ui) == ["Support triage", "Sales writer", "Support agent"]  # newest first
    ui.shot(screenshots, "prompts-1280-light")

    ui.page.get_by_label("Search prompts").fill("SUPPORT")
    expect(ui.page.get_by_test_id("prompts-table").locator("tbody tr")).to_have_count(2)
    assert names_shown(ui) == ["Support triage", "Support agent"]
    ui.page.get_by_test_id("tag-filter").select_option("chatbot")
    expect(ui.page.get_by_test_id("prompts-table").locator("tbody tr")).to_have_count(1)
    assert names_shown(ui) == ["Support agent"]
    assert "q=SUPPORT" in ui.page.url and "tag=chatbot" in ui.page.url
    ui.page.get_by_label("Remove tag filter chatbot").click()
    ui.page.get_by_label("Search prompts").fill("nothing like this")
    expect(ui.page.get_by_text("No prompts match")).to_be_visible()

    for index in range(24):  # 27 in all: a page of 25 and one of 2
        create_prompt(server, org, f"Bulk {index:02}", [], body("Bulk."))
    ui.goto("/prompts")
    rows = ui.page.get_by_test_id("prompts-table").locator("tbody tr")
    expect(rows).to_have_count(25)
    ui.page.get_by_role("button", name="Next page").click()
    expect(rows).to_have_count(2)
    assert names_shown(ui) == ["Sales writer", "Support agent"]
    expect(ui.page.get_by_role("button", name="Next page")).to_be_disabled()
    ui.page.get_by_role("link", name="Support agent").click()
    expect(ui.page.get_by_test_id("prompt-detail")).to_be_visible()
    expect(ui.page.locator("h1")).to_have_text("Support agent")

    ui.goto("/prompts")
    ui.page.get_by_test_id("new-prompt-button").click()
    form = ui.page.get_by_test_id("new-prompt")
    form.get_by_label("Prompt name").fill("Made in the dashboard")
    form.get_by_label("System message").fill("Greet {{hc:who:string}}.")
    form.get_by_role("button", name="Create prompt").click()
    expect(ui.page.locator("h1")).to_have_text("Made in the dashboard")
    expect(ui.page.get_by_test_id("versions-table").locator("tbody tr")).to_have_count(1)
    expect(ui.page.get_by_test_id("variables")).to_contain_text("who")
    assert ui.errors == []


def test_versions_diff_promote_roll_back_tags_rename_delete(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    first = create_prompt(server, org, "Support bot", ["support"], body(SYSTEM))
    prompt_id, v00 = first
    v01 = new_version(
        server, org, first, body("You help {{hc:company:string}} politely.", temperature=0.2),
        "Politer", environment="staging",
    )  # fmt: skip
    v10 = new_version(server, org, first, body("Answer in French."), "French", newMajorVersion=True)
    ui = signed_in(server, browser, org)
    ui.goto(f"/prompts/{prompt_id}")
    table = ui.page.get_by_test_id("versions-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    labels = table.locator("tbody tr td:first-child").all_inner_texts()
    assert labels == ["1.0", "0.1", "0.0"]
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Politer")
    expect(table.locator("tbody tr").nth(1).locator("[data-environment=staging]")).to_be_visible()
    expect(
        table.locator("tbody tr").nth(2).locator("[data-environment=production]")
    ).to_be_visible()

    # A version's variables, then its diff with the version before it and with another one.
    table.get_by_role("button", name="0.1", exact=True).click()
    panel = ui.page.get_by_test_id("version-panel")
    expect(panel.locator("h2").first).to_have_text("Version 0.1")
    expect(panel.get_by_test_id("variables")).to_contain_text("company")
    expect(panel.get_by_test_id("variables")).not_to_contain_text("seats")
    panel.get_by_role("tab", name="Diff").click()
    diff = panel.get_by_test_id("diff")
    expect(panel.get_by_test_id("diff-summary")).to_have_text("+3 \N{MINUS SIGN}2 lines")
    assert changed(diff, "del") == [f'      "content": "{SYSTEM}"', "  ]"]
    assert changed(diff, "add") == [
        '      "content": "You help {{hc:company:string}} politely."',
        "  ],",
        '  "temperature": 0.2',
    ]
    ui.shot(screenshots, "prompt-diff-1280-light")
    panel.get_by_test_id("diff-against").select_option(v10)
    expect(diff.locator(".del").first).to_contain_text("Answer in French.")
    assert changed(diff, "del") == ['      "content": "Answer in French."', "  ]"]
    assert f"version={v01}" in ui.page.url and f"against={v10}" in ui.page.url

    # Promote production to 1.0, then roll it back to 0.0.
    environments = ui.page.get_by_test_id("environments")
    environments.get_by_label("Version for production").select_option(v10)
    environments.get_by_role("button", name="Promote").click()
    expect(
        table.locator("tbody tr").nth(0).locator("[data-environment=production]")
    ).to_be_visible()
    assert serving(server, org, prompt_id, "production") == v10
    environments.get_by_label("Version for production").select_option(v00)
    environments.get_by_role("button", name="Roll back").click()
    expect(
        table.locator("tbody tr").nth(2).locator("[data-environment=production]")
    ).to_be_visible()
    assert serving(server, org, prompt_id, "production") == v00
    environments.get_by_label("New environment name").fill("canary")
    environments.get_by_label("Version for the new environment").select_option(v01)
    environments.get_by_role("button", name="Add environment").click()
    expect(table.locator("tbody tr").nth(1).locator("[data-environment=canary]")).to_be_visible()
    assert serving(server, org, prompt_id, "canary") == v01

    # Tags, rename, delete.
    tags = ui.page.get_by_test_id("prompt-tags")
    tags.get_by_label("Add a tag").fill("beta")
    tags.get_by_label("Add a tag").press("Enter")
    expect(tags.locator("[data-tag=beta]")).to_be_visible()
    tags.get_by_label("Remove tag support").click()
    expect(tags.locator("[data-tag=support]")).to_have_count(0)
    ui.page.once("dialog", lambda dialog: dialog.accept("Support bot <b>2</b>"))
    ui.page.get_by_test_id("rename-prompt").click()
    expect(ui.page.locator("h1")).to_have_text("Support bot <b>2</b>")  # text, not markup
    with server.api(org.key) as client:
        shown = client.get(f"/v1/prompt-2025/id/{prompt_id}").json()["data"]
    assert (shown["name"], shown["tags"]) == ("Support bot <b>2</b>", ["beta"])
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.get_by_test_id("delete-prompt").click()
    expect(ui.page).to_have_url(re.compile(r"/prompts$"))
    expect(ui.page.get_by_text("No prompts yet")).to_be_visible()
    with server.api(org.key) as client:
        assert client.get(f"/v1/prompt-2025/id/{prompt_id}").status_code == 404
    assert ui.errors == []


def _request_id(answer: Any) -> str:
    """The logged call a playground answer links to."""
    href = answer.get_by_test_id("playground-request").get_attribute("href")
    return str(href).rsplit("/", 1)[-1]


def _run(ui: Browser, company: str, seats: str | None) -> Any:
    playground = ui.page.get_by_test_id("playground")
    inputs = playground.get_by_test_id("playground-inputs")
    inputs.get_by_label("company").fill(company)
    if seats is not None:
        inputs.get_by_label("seats").fill(seats)
    playground.get_by_test_id("playground-run").click()
    answer = playground.get_by_test_id("playground-answer")
    expect(answer).to_be_visible()
    return answer


def test_playground_runs_through_the_gateway_logged_and_saves_an_edit(
    server: HeliographProcess, browser: Any, screenshots: Path
):
    org = new_org(server)
    add_provider_key(server, org, "sk-fake")  # the gateway reaches the fake provider with it
    prompt_id, version_id = create_prompt(server, org, "Echo", [], body(SYSTEM))
    ui = signed_in(server, browser, org)
    ui.goto(f"/prompts/{prompt_id}?tab=playground")
    answer = _run(ui, "Acme Corp", "12")
    expect(answer).to_have_attribute("data-status", "200")
    # The fake provider's answer: the request it got, the variables filled by the gateway.
    expect(answer.locator(".message")).to_contain_text(
        "You help customers of Acme Corp with 12 seats."
    )
    ui.shot(screenshots, "prompt-playground-1280-light")
    row = server.wait_for_request(_request_id(answer), org.key)
    assert (row["prompt_id"], row["prompt_version"], row["response_status"]) == (
        prompt_id, version_id, 200,
    )  # fmt: skip
    assert row["request_body"]["messages"][0]["content"] == (
        "You help customers of Acme Corp with 12 seats."
    )

    # A missing input: the gateway's 400, shown, and logged as well, with the prompt and
    # the version it asked for (a version's failures are counted against it).
    answer = _run(ui, "", "3")
    expect(answer).to_have_attribute("data-status", "400")
    expect(answer.get_by_role("alert")).to_have_text(
        "Variable 'company' (string) is missing from inputs"
    )
    failed = server.wait_for_request(_request_id(answer), org.key)
    assert (failed["prompt_id"], failed["prompt_version"], failed["response_status"]) == (
        prompt_id, row["prompt_version"], 400,
    )  # fmt: skip

    # The provider fails (the newest key of the organization makes the fake answer 500).
    add_provider_key(server, org, "sk-fake-behaviour:status=500")
    answer = _run(ui, "Acme Corp", "12")
    expect(answer).to_have_attribute("data-status", "500")
    broken = server.wait_for_request(_request_id(answer), org.key)
    assert (broken["prompt_version"], broken["response_status"]) == (version_id, 500)
    add_provider_key(server, org, "sk-fake-healthy-again")

    # The version's requests: three runs asked for it, two of them failed (the missing
    # input and the provider's 500).
    ui.page.get_by_role("tab", name="Requests").click()
    requests = ui.page.get_by_test_id("version-requests")
    expect(requests.get_by_test_id("requests-table").locator("tbody tr")).to_have_count(3)
    expect(requests.locator(".stat").nth(0)).to_have_text("Requests3")
    expect(requests.locator(".stat").nth(3)).to_have_text("Error rate66.7%")

    # Edit the messages and the model into a new major version serving staging, and run it.
    ui.page.get_by_role("tab", name="Playground").click()
    edit = ui.page.get_by_test_id("playground-edit")
    edit.get_by_label("Model").fill("gpt-4o")
    edit.get_by_test_id("edit-message").first.fill("You assist {{hc:company:string}}.")
    edit.get_by_label("Commit message").fill("Shorter")
    edit.get_by_label("New major version").check()
    edit.get_by_label("Deploy to").select_option("staging")
    edit.get_by_test_id("save-version").click()
    panel = ui.page.get_by_test_id("version-panel")
    expect(panel.locator("h2").first).to_have_text("Version 1.0")
    with server.api(org.key) as client:
        versions = client.post("/v1/prompt-2025/query/versions", json={"promptId": prompt_id})
        newest = versions.json()["data"][0]
        saved = client.post("/v2/prompt-2025/query/version", json={"promptVersionId": newest["id"]})
    assert (newest["major_version"], newest["minor_version"]) == (1, 0)
    assert (newest["commit_message"], newest["environments"]) == ("Shorter", ["staging"])
    assert saved.json()["data"]["prompt_body"] == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You assist {{hc:company:string}}."},
            {"role": "user", "content": "echo"},
        ],
    }
    assert f"version={newest['id']}" in ui.page.url
    answer = _run(ui, "Acme Corp", None)
    expect(answer).to_have_attribute("data-status", "200")
    expect(answer.locator(".message")).to_contain_text("You assist Acme Corp.")
    assert ui.errors == []


def test_another_organizations_prompts_never_show(server: HeliographProcess, browser: Any):
    first = new_org(server)
    prompt_id, version_id = create_prompt(
        server, first, "First org secret prompt", ["secret-tag"], body(SYSTEM)
    )
    second = new_org(server)
    ui = signed_in(server, browser, second)
    ui.goto("/prompts")
    expect(ui.page.get_by_text("No prompts yet")).to_be_visible()
    expect(ui.page.get_by_test_id("tag-filter").locator("option")).to_have_count(1)
    ui.page.get_by_label("Search prompts").fill("secret")
    expect(ui.page.get_by_text("No prompts match")).to_be_visible()
    ui.goto(f"/prompts/{prompt_id}?version={version_id}&tab=playground")
    expect(ui.page.get_by_role("alert")).to_contain_text("Prompt not found")
    assert "First org secret prompt" not in ui.page.locator("body").inner_text()
    with server.api(second.key) as client:
        run = client.post(
            "/v1/prompt-2025/playground",
            json={"promptId": prompt_id, "promptVersionId": version_id, "inputs": {}},
        )
    assert run.status_code == 200, run.text
    assert run.json()["data"]["status"] == 400
    assert run.json()["data"]["response"]["error"]["message"] == f"Unknown prompt '{prompt_id}'"
    assert ui.errors == []

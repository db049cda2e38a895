"""Every screen at desktop and phone width, light and dark: drawn without errors, no page-wide
horizontal scrolling on a phone, and a screenshot of each in test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.experiments.helpers import call, prompt_experiment, wait_until_idle
from tests.server import HeliographProcess
from tests.ui.helpers import new_org, open_browser, send

# (name, path, selector that shows the screen has drawn its data)
SCREENS = [
    ("dashboard", "/dashboard", "[data-testid=stat-requests]"),
    ("requests", "/requests", "[data-testid=requests-table]"),
    ("request-detail", "/requests/{request_id}", "[data-testid=request-detail] .message"),
    ("sessions", "/sessions", "[data-testid=sessions-table]"),
    ("session-detail", "/sessions/shop-run-1", "[data-testid=session-step] .message"),
    ("users", "/users", "[data-testid=users-table]"),
    ("user-detail", "/users/alice%40example.com", "[data-testid=requests-table]"),
    ("properties", "/properties", "[data-testid=property-values]"),
    ("prompts", "/prompts", "[data-testid=prompts-table]"),
    ("prompt-detail", "/prompts/{prompt_id}?tab=diff", "[data-testid=diff]"),
    ("experiments", "/experiments", "[data-testid=experiments-table]"),
    (
        "experiment-detail",
        "/experiments/{experiment_id}",
        "[data-testid=results-table] [data-testid=output-text]",
    ),
    ("hql", "/hql", "[data-testid=hql-schema] summary"),
    ("settings-api-keys", "/settings/api-keys", "[data-testid=api-keys-table]"),
    # The organization has an OpenAI key of its own: its experiment's calls use it.
    (
        "settings-provider-keys",
        "/settings/provider-keys",
        "[data-testid=settings-provider-keys] table.data",
    ),
    ("settings-webhooks", "/settings/webhooks", "[data-testid=settings-webhooks] .state"),
    ("settings-alerts", "/settings/alerts", "[data-testid=settings-alerts] .state"),
    ("settings-cache", "/settings/cache", "[data-testid=cache-stats]"),
    ("settings-rate-limits", "/settings/rate-limits", "[data-testid=rate-limit-stats]"),
]
LAYOUTS = [(1280, "light"), (375, "light"), (1280, "dark"), (375, "dark")]
DARK_SCREENS = {
    *("dashboard", "requests", "request-detail", "session-detail", "prompt-detail"),
    *("experiment-detail", "hql"),
}


@pytest.fixture(scope="module")
def populated(server: HeliographProcess) -> dict[str, str]:
    org = new_org(server)
    last = ""
    paths = ["/plan", "/plan/search", "/answer"]
    for index in range(12):
        last = send(
            server,
            org.key,
            f"Question number {index}: what is a heliograph?",
            properties={"Environment": ["production", "staging"][index % 2], "App": "web"},
            user=["alice@example.com", "bob@example.com", "carol@example.com"][index % 3],
            session=("shop-run-1", paths[index % 3], "Shopping agent") if index < 6 else None,
            model=["gpt-4o-mini", "gpt-4o"][index % 2],
        )
    server.wait_for_request(last, org.key)
    return {
        "email": org.email,
        "request_id": last,
        "prompt_id": _prompt(server, org.key),
        "experiment_id": _experiment(server, org.key),
    }


def _prompt(server: HeliographProcess, key: str) -> str:
    """A prompt with two versions (a long line, to show the diff's wrapping on a phone)."""
    system = "You help customers of {{hc:company:string}}. " + "Always be brief. " * 12
    body = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": system}]}
    with server.api(key) as client:
        created = client.post(
            "/v1/prompt-2025",
            json={"name": "Support agent", "tags": ["support"], "promptBody": body},
        ).json()["data"]
        body["temperature"] = 0.3
        changed = client.post(
            "/v1/prompt-2025/update",
            json={"promptId": created["id"], "promptVersionId": created["versionId"],
                  "newMajorVersion": False, "commitMessage": "Cooler", "promptBody": body},
        )  # fmt: skip
    assert changed.status_code == 200, changed.text
    return str(created["id"])


def _experiment(server: HeliographProcess, key: str) -> str:
    """An experiment of two versions over three rows, run to the end."""
    call(server, key, "POST", "/v1/provider-keys", {"provider": "openai", "key": "sk-fake"})
    _, experiment, _, _ = prompt_experiment(server, key)
    rows = [{"topic": topic} for topic in ("heliographs", "semaphores", "signal lamps")]
    call(
        server, key, "POST", f"/v2/experiment/{experiment}/add-manual-rows-batch", {"inputs": rows}
    )
    call(server, key, "POST", f"/v2/experiment/{experiment}/run", {})
    wait_until_idle(server, key, experiment)
    return experiment


@pytest.mark.parametrize(("width", "theme"), LAYOUTS, ids=[f"{w}-{t}" for w, t in LAYOUTS])
def test_every_screen_draws(
    server: HeliographProcess,
    browser: Any,
    screenshots: Path,
    populated: dict[str, str],
    width: int,
    theme: str,
):
    ui = open_browser(browser, server.url, width=width, theme=theme)
    ui.sign_in_with_password(populated["email"])
    overflowing = []
    for name, path, ready in SCREENS:
        if theme == "dark" and name not in DARK_SCREENS:
            continue
        ui.goto(path.format(**populated))
        ui.page.wait_for_selector(ready)
        assert ui.page.evaluate("document.documentElement.dataset.theme") == theme
        scroll = ui.page.evaluate("document.documentElement.scrollWidth")
        if scroll > width + 1:
            overflowing.append(f"{name}: {scroll}px")
        ui.shot(screenshots, f"{name}-{width}-{theme}")
    assert overflowing == [], f"pages wider than the {width}px screen"
    assert ui.errors == []


def test_sign_in_screen_on_a_phone(server: HeliographProcess, browser: Any, screenshots: Path):
    ui = open_browser(browser, server.url, width=375, theme="dark")
    ui.goto("/signin")
    ui.page.get_by_role("button", name="Sign in").wait_for()
    ui.shot(screenshots, "signin-375-dark")
    assert ui.page.evaluate("document.documentElement.scrollWidth") <= 376
    assert ui.errors == []

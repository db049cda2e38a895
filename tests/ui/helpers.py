"""Driving the dashboard in a browser, and sending traffic through the proxy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.server import HeliographProcess

PASSWORD = "correct horse battery"


@dataclass
class Org:
    """A fresh organization with an API key and a dashboard user."""

    name: str
    key: str
    email: str


def new_org(server: HeliographProcess) -> Org:
    name = f"ui-{uuid.uuid4().hex[:8]}"
    key = server.create_key(name)
    email = f"{name}@example.com"
    created = server.create_user(email, PASSWORD, name)
    assert created.returncode == 0, created.stderr
    return Org(name, key, email)


def send(
    server: HeliographProcess,
    key: str,
    content: str = "hello",
    *,
    properties: dict[str, str] | None = None,
    user: str | None = None,
    session: tuple[str, str, str] | None = None,  # id, path, name
    model: str = "gpt-4o-mini",
) -> str:
    """One chat completion through the OpenAI passthrough route; returns its request id."""
    request_id = str(uuid.uuid4())
    headers = {
        "Authorization": "Bearer sk-fake-provider",
        "Helicone-Auth": f"Bearer {key}",
        "Helicone-Request-Id": request_id,
    }
    for name, value in (properties or {}).items():
        headers[f"Helicone-Property-{name}"] = value
    if user:
        headers["Helicone-User-Id"] = user
    if session:
        headers["Helicone-Session-Id"], headers["Helicone-Session-Path"] = session[:2]
        headers["Helicone-Session-Name"] = session[2]
    answer = httpx.post(
        f"{server.url}/openai/v1/chat/completions",
        headers=headers,
        json={"model": model, "messages": [{"role": "user", "content": content}]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return request_id


@dataclass
class Browser:
    """One browser context (its own cookies) with page errors collected."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, folder: Path, name: str) -> Path:
        path = folder / f"{name}.png"
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in_with_password(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/signin")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("nav[aria-label='Main']")

    def sign_in_with_key(self, key: str) -> None:
        self.goto("/signin")
        self.page.get_by_role("tab", name="API key").click()
        self.page.get_by_label("Heliograph API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("nav[aria-label='Main']")


def open_browser(browser: Any, base_url: str, width: int = 1280, theme: str = "light") -> Browser:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=theme,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Browser(page, base_url)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
    # A refused API call (401 before signing in, 404 of a missing request) is logged by the
    # browser as "Failed to load resource"; the screens handle those. Anything else is a bug.
    page.on(
        "console",
        lambda message: (
            opened.errors.append(f"console: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    return opened


def add_provider_key(server: HeliographProcess, org: Org, key: str) -> None:
    """The organization's OpenAI key for the gateway: its newest one is the one used."""
    with server.api(org.key) as client:
        added = client.post("/v1/provider-keys", json={"provider": "openai", "key": key})
    assert added.status_code == 200, added.text

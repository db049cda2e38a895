"""Dashboard sign-in: users and passwords, API-key sign-in, the session cookie and CSRF.

On the in-process app; the CLI's checks run the real CLI on its data dir, and demo mode
starts a server of its own."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.inprocess import AnyServer, InProcessServer
from tests.server import HeliographProcess, clean_environ

PASSWORD = "correct horse battery"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def _browser(server: AnyServer) -> httpx.Client:
    """A cookie-keeping client with no API key, like the dashboard in a browser."""
    if isinstance(server, InProcessServer):
        return server.client()
    return httpx.Client(base_url=server.url, timeout=30)


def _cli_create_user(
    server: InProcessServer, email: str, password: str, org: str
) -> subprocess.CompletedProcess[str]:
    """`heliograph users create` (the real CLI) on the in-process app's data dir."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "heliograph", "users", "create", "--email", email),
            *("--org", org, "--create-org", "--data-dir", str(server.data_dir)),
        ],
        env=clean_environ() | {"HELIOGRAPH_USER_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _signed_in(server: InProcessServer, email: str) -> tuple[httpx.Client, str]:
    browser = _browser(server)
    answer = browser.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return browser, answer.json()["data"]["csrfToken"]


def test_password_sign_in_sets_a_secure_session_cookie(server: InProcessServer):
    email = _email()
    server.create_user(email.upper(), PASSWORD, f"org-{uuid.uuid4()}")
    with _browser(server) as browser:
        wrong = browser.post("/v1/auth/sign-in", json={"email": email, "password": "nope-nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {"data": None, "error": "Wrong e-mail or password"}
        unknown = browser.post("/v1/auth/sign-in", json={"email": _email(), "password": PASSWORD})
        assert unknown.json() == wrong.json(), "an unknown e-mail answers like a wrong password"
        assert browser.get("/v1/auth/session").status_code == 401

        answer = browser.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        session = browser.get("/v1/auth/session").json()["data"]
        assert session["email"] == email
        assert session["signedInWith"] == "password"
        assert session["csrfToken"] == answer.json()["data"]["csrfToken"]


def test_cookie_reads_freely_but_writes_only_with_the_csrf_token(server: InProcessServer):
    org = f"org-{uuid.uuid4()}"
    email = _email()
    server.create_user(email, PASSWORD, org)
    key = server.create_key(org)
    request_id = str(uuid.uuid4())
    sent = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={
            "Authorization": "Bearer sk-fake",
            "Helicone-Auth": f"Bearer {key}",
            "Helicone-Request-Id": request_id,
        },
        json=CHAT,
    )
    assert sent.status_code == 200
    server.wait_for_request(request_id, key)

    browser, csrf = _signed_in(server, email)
    with contextlib.closing(browser):
        assert browser.get(f"/v1/request/{request_id}").status_code == 200
        update = {"key": "reviewed", "value": "yes"}
        without = browser.put(f"/v1/request/{request_id}/property", json=update)
        assert without.status_code == 403
        assert "X-CSRF-Token" in without.json()["error"]
        forged = browser.put(
            f"/v1/request/{request_id}/property", json=update, headers={"X-CSRF-Token": "x" * 43}
        )
        assert forged.status_code == 403
        allowed = browser.put(
            f"/v1/request/{request_id}/property", json=update, headers={"X-CSRF-Token": csrf}
        )
        assert allowed.status_code == 200, allowed.text
    row = server.wait_for_request(request_id, key)
    assert row["properties"]["reviewed"] == "yes"


def test_a_user_never_sees_another_organizations_requests(server: InProcessServer):
    owner_key = server.create_key(f"org-{uuid.uuid4()}")
    request_id = str(uuid.uuid4())
    server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {owner_key}", "Helicone-Request-Id": request_id},
        json=CHAT,
    )
    server.wait_for_request(request_id, owner_key)
    outsider = _email()
    server.create_user(outsider, PASSWORD, f"org-{uuid.uuid4()}")
    browser, csrf = _signed_in(server, outsider)
    with contextlib.closing(browser):
        assert browser.get(f"/v1/request/{request_id}").status_code == 404
        found = browser.post(
            "/v1/request/query-clickhouse",
            json={"filter": "all", "limit": 100},
            headers={"X-CSRF-Token": csrf},
        )
        assert found.status_code == 200
        assert request_id not in {row["request_id"] for row in found.json()["data"]}


def test_api_key_sign_in_and_sign_out(server: InProcessServer):
    key = server.create_key(f"org-{uuid.uuid4()}")
    with _browser(server) as browser:
        bad = browser.post("/v1/auth/sign-in", json={"apiKey": "sk-helicone-not-a-key"})
        assert bad.status_code == 401
        answer = browser.post("/v1/auth/sign-in", json={"apiKey": key})
        assert answer.status_code == 200
        session = answer.json()["data"]
        assert session["signedInWith"] == "api_key" and session["email"] is None
        assert key not in answer.text, "the key is never echoed back"
        refused = browser.post("/v1/auth/sign-out")
        assert refused.status_code == 403, "signing out needs the CSRF token too"
        out = browser.post("/v1/auth/sign-out", headers={"X-CSRF-Token": session["csrfToken"]})
        assert out.status_code == 200
        assert browser.get("/v1/auth/session").status_code == 401
        assert browser.get("/v1/request/query-clickhouse").status_code in (401, 405)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["not", "an", "object"], 'Body must be {"email", "password"} or {"apiKey"}'),
        ({"email": "a@example.com"}, 'Body must be {"email", "password"} or {"apiKey"}'),
    ],
)
def test_bad_sign_in_bodies(server: InProcessServer, body: object, message: str):
    answer = server.request("POST", "/v1/auth/sign-in", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"data": None, "error": message}


@pytest.mark.server  # runs the CLI
def test_cli_refuses_duplicate_users_and_short_passwords(server: InProcessServer):
    email = _email()
    org = f"org-{uuid.uuid4()}"
    assert _cli_create_user(server, email, PASSWORD, org).returncode == 0
    again = _cli_create_user(server, email, PASSWORD, org)
    assert again.returncode == 1
    assert f"a user with e-mail {email} already exists" in again.stderr
    short = _cli_create_user(server, _email(), "short", org)
    assert short.returncode == 1
    assert "password must be at least 8 characters" in short.stderr
    assert PASSWORD not in again.stderr + again.stdout


def test_demo_mode_signs_in_automatically(start_server: Callable[..., HeliographProcess]):
    demo = start_server(env={"HELIOGRAPH_DEMO": "true"})
    with _browser(demo) as browser:
        session = browser.get("/v1/auth/session")
        assert session.status_code == 200
        assert session.json()["data"]["csrfToken"]
        assert browser.get("/v1/auth/session").json()["data"] == session.json()["data"], (
            "the cookie set on the first visit keeps the same session"
        )


def test_rest_api_takes_a_bare_key_as_helicones_examples_send_it(server: InProcessServer):
    """The Ragas cookbook sends `authorization: <key>` with no scheme."""
    bare = server.request(
        "POST",
        "/v1/request/query-clickhouse",
        headers={"authorization": server.api_key},
        json={"filter": "all", "limit": 1},
    )
    assert bare.status_code == 200, bare.text
    wrong = server.request(
        "POST",
        "/v1/request/query-clickhouse",
        headers={"authorization": "sk-helicone-wrong"},
        json={"filter": "all", "limit": 1},
    )
    assert wrong.status_code == 401

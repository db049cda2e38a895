"""How the server serves the dashboard: the page for every screen URL, cacheable assets,
security headers, and no clash with the API or the proxy routes."""

from __future__ import annotations

import http.client
import re

import httpx

from heliograph.ui.routes import SCREENS, STATIC_DIR, build_id
from tests.server import HeliographProcess


def test_every_screen_url_serves_the_page_with_strict_headers(server: HeliographProcess):
    paths = [f"/{name}" for name in SCREENS]
    paths += ["/requests/0b0e2d4a-0000-4000-8000-000000000000", "/sessions/a/b", "/users/a@b.c"]
    paths += ["/settings/webhooks"]
    for path in paths:
        answer = httpx.get(server.url + path, timeout=30)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-cache"
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert f"/ui/static/{build_id()}/js/app.js" in answer.text
    root = httpx.get(server.url + "/", timeout=30)
    assert root.status_code == 307 and root.headers["location"] == "/dashboard"


def test_assets_are_cached_for_good_under_the_current_build_only(server: HeliographProcess):
    page = httpx.get(server.url + "/dashboard", timeout=30).text
    referenced = re.findall(r'(?:href|src)="(/ui/static/[^"]+)"', page)
    assert len(referenced) >= 4
    for path in referenced:
        answer = httpx.get(server.url + path, timeout=30)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-content-type-options"] == "nosniff"
    module = httpx.get(f"{server.url}/ui/static/{build_id()}/js/views/requests.js", timeout=30)
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.content == (STATIC_DIR / "js/views/requests.js").read_bytes()
    stale = httpx.get(f"{server.url}/ui/static/000000000000/css/app.css", timeout=30)
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"


def _raw_get(server: HeliographProcess, path: str) -> tuple[int, bytes]:
    """GET with the path sent as is (httpx would resolve the `..` segments itself)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_nothing_outside_the_static_folder_is_served(server: HeliographProcess):
    for path in [
        f"/ui/static/{build_id()}/../routes.py",
        f"/ui/static/{build_id()}/js/../../routes.py",
        f"/ui/static/{build_id()}/%2e%2e/routes.py",
        f"/ui/static/{build_id()}/..%2f..%2fapp.py",
        f"/ui/static/{build_id()}/js/missing.js",
    ]:
        status, body = _raw_get(server, path)
        assert status == 404, path
        assert b"Services" not in body and b"import" not in body, path


def test_api_and_proxy_paths_are_not_taken_by_the_dashboard(server: HeliographProcess):
    missing = httpx.get(server.url + "/v1/not-an-endpoint", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "Not found"
    unknown = httpx.get(server.url + "/requestsx", timeout=30)
    assert unknown.status_code == 404
    proxied = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {server.api_key}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert proxied.status_code == 200 and proxied.json()["object"] == "chat.completion"

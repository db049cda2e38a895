"""A version's s3_url: signed for one organization and version, expiring, refused when changed."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from heliograph.prompts.signing import BodyUrlSigner, SignedGrant
from tests.inprocess import BASE_URL, InProcessServer
from tests.prompts.helpers import (
    BODY,
    create_prompt,
    new_org,
    new_version,
    organization_of,
    version,
)


def _grant(url: str) -> SignedGrant:
    query = parse_qs(urlsplit(url).query)
    return SignedGrant(int(query["expires"][0]), query["signature"][0])


def test_a_grant_holds_for_its_organization_and_version_until_it_expires():
    signer = BodyUrlSigner(b"secret")
    grant = _grant(signer.url(BASE_URL, "org-a", "version-1"))
    assert signer.valid("org-a", "version-1", grant)
    assert not signer.valid("org-b", "version-1", grant)
    assert not signer.valid("org-a", "version-2", grant)
    assert not signer.valid("org-a", "version-1", SignedGrant(grant.expires + 1, grant.signature))
    assert not BodyUrlSigner(b"another secret").valid("org-a", "version-1", grant)
    expired = BodyUrlSigner(b"secret", lifetime_s=-1)
    assert not expired.valid("org-a", "version-1", _grant(expired.url(BASE_URL, "org-a", "v")))


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _get(server: InProcessServer, url: str) -> tuple[int, object]:
    answer = server.request("GET", url)  # no credentials: the URL is the credential
    return answer.status_code, answer.json()


def test_the_url_serves_the_body_and_nothing_else(server: InProcessServer):
    key = new_org(server, "signed")
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first, body={**BODY, "temperature": 0})
    url = version(server, key, first)["s3_url"]
    assert url.startswith(f"{BASE_URL}/v1/prompt-bodies/{first}?")
    assert _get(server, url) == (200, BODY)
    assert server.request("GET", url).headers["content-type"] == "application/json"
    refused = {"data": None, "error": "This prompt body URL is invalid or has expired"}
    assert _get(server, url.replace(first, second)) == (403, refused)
    grant = _grant(url)
    later = url.replace(f"expires={grant.expires}", f"expires={grant.expires + 60}")
    assert _get(server, later) == (403, refused)
    organization_id = organization_of(server, key)
    stranger = BodyUrlSigner(b"another server's secret").url(BASE_URL, organization_id, first)
    assert _get(server, stranger) == (403, refused)
    secret = (server.data_dir / "secret.key").read_bytes().strip()  # the server's own
    expired = BodyUrlSigner(secret, lifetime_s=-10)
    assert _get(server, BodyUrlSigner(secret).url(BASE_URL, organization_id, first))[0] == 200
    assert _get(server, expired.url(BASE_URL, organization_id, first)) == (403, refused)


def test_deleted_versions_and_prompts_are_gone(server: InProcessServer):
    key = new_org(server, "signed-gone")
    prompt, first = create_prompt(server, key)
    second = new_version(server, key, prompt, first)
    first_url, second_url = (version(server, key, v)["s3_url"] for v in (first, second))
    gone = {"data": None, "error": "Prompt body not found"}
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}/{second}").status_code == 200
    assert _get(server, second_url) == (404, gone)
    assert _get(server, first_url)[0] == 200
    with server.api(key) as client:
        assert client.delete(f"/v1/prompt-2025/{prompt}").status_code == 200
    assert _get(server, first_url) == (404, gone)


def test_public_url_is_where_urls_point(server: InProcessServer, monkeypatch: pytest.MonkeyPatch):
    """Behind a proxy, `public_url` (not the request's host) starts every s3_url."""
    services = server.app.services
    monkeypatch.setattr(
        services, "settings", replace(services.settings, public_url="https://llm.example/")
    )
    key = new_org(server, "public-url")
    _, first = create_prompt(server, key)
    assert version(server, key, first)["s3_url"].startswith(
        f"https://llm.example/v1/prompt-bodies/{first}?expires="
    )

"""The outbound policy against a real server: SSRF through Helicone-Target-Url, smuggling
through fallback headers, the raw path, credentials in URLs, Bedrock regions, the cap on
attempts, and webhook and alert URLs to loopback."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess, free_port

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Recorder:
    """A raw TCP upstream that records every request's bytes and answers `{}`."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[bytes] = []
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")), 0,
                )  # fmt: skip
                while len(body) < length and (chunk := conn.recv(65536)):
                    body += chunk
                self.requests.append(head + b"\r\n\r\n" + body)
                conn.sendall(ANSWER)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    upstream = Recorder()
    yield upstream
    upstream.close()


def gateway_call(server: HeliographProcess, target: str, **headers: str) -> httpx.Response:
    return httpx.post(
        server.url + "/gateway/v1/chat/completions",
        headers={**server.auth, "Helicone-Target-Url": target, **headers},
        json=BODY,
        timeout=10,
    )


@pytest.mark.parametrize(
    "host", ["127.1", "0x7f000001", "2130706433", "[::1]", "localhost", "127.0.0.1"]
)
def test_loopback_targets_are_refused_alike_for_open_and_closed_ports(
    server: HeliographProcess, recorder: Recorder, host: str
):
    opened = gateway_call(server, f"http://{host}:{recorder.port}")
    closed = gateway_call(server, f"http://{host}:{free_port()}")
    assert opened.status_code == closed.status_code == 403
    assert opened.json() == closed.json()
    message = opened.json()["error"]["message"]
    assert message == "The target URL is not allowed by this server's outbound policy"
    assert recorder.connections == 0


def test_metadata_address_is_refused(server: HeliographProcess):
    response = gateway_call(server, "http://169.254.169.254/latest/meta-data")
    assert response.status_code == 403
    assert (
        response.json()["error"]["message"]
        == "The target URL is not allowed by this server's outbound policy"
    )


def test_allow_listed_target_is_reached(start_server, recorder: Recorder):
    server = start_server(env={"HELIOGRAPH_OUTBOUND_ALLOW": f"localhost:{recorder.port}"})
    response = gateway_call(server, f"http://localhost:{recorder.port}")
    assert response.status_code == 200
    assert b"\r\nHost: localhost:%d\r\n" % recorder.port in recorder.requests[0]


def test_credentials_in_target_urls_are_refused_and_not_echoed(server: HeliographProcess):
    response = gateway_call(server, "https://user:s3cret@example.com")
    fallbacks = json.dumps([{"target-url": "https://user:s3cret@example.com"}])
    fallback = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Fallbacks": fallbacks},
        json=BODY,
    )
    for refused in (response, fallback):
        assert refused.status_code == 400
        assert "credentials" in refused.json()["error"]["message"] and "s3cret" not in refused.text


def test_fallback_headers_cannot_smuggle_a_request(start_server, recorder: Recorder):
    server = start_server(env={"HELIOGRAPH_OUTBOUND_ALLOW": f"127.0.0.1:{recorder.port}"})
    smuggled = "POST /v1/admin HTTP/1.1\r\nHost: x\r\n\r\n"
    headers = {"Content-Length": "0", "Transfer-Encoding": "chunked", "Host": "evil.example",
               "Connection": "keep-alive", "Expect": "100-continue", "X-Kept": "yes"}  # fmt: skip
    fallbacks = [{"target-url": recorder.url, "headers": headers}]
    response = httpx.post(
        server.url + "/gateway/v1/chat/completions",
        headers={**server.auth, "Helicone-Fallbacks": json.dumps(fallbacks)},
        content=json.dumps(BODY) + smuggled,
    )
    assert response.status_code == 200
    [sent] = recorder.requests
    head = sent.split(b"\r\n\r\n")[0].lower().split(b"\r\n")
    names = [line.split(b":")[0] for line in head[1:]]
    assert names.count(b"host") == names.count(b"content-length") == 1
    assert b"transfer-encoding" not in names and b"expect" not in names
    assert f"host: 127.0.0.1:{recorder.port}".encode() in head and b"x-kept: yes" in head

    broken = [{"target-url": recorder.url, "headers": {"X-A": "1\r\nHost: evil"}}]
    response = httpx.post(
        server.url + "/gateway/v1/chat/completions",
        headers={**server.auth, "Helicone-Fallbacks": json.dumps(broken)},
        json=BODY,
    )
    assert response.status_code == 400 and len(recorder.requests) == 1


def test_the_raw_path_goes_upstream_as_received(start_server, recorder: Recorder):
    server = start_server(env={"HELIOGRAPH_OUTBOUND_ALLOW": f"127.0.0.1:{recorder.port}"})
    for path in ["/v1/chat%3Fadmin=1", "/v1/a%2F..%2Fadmin/x", "/v1/b%2e%2e/c"]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
            client.sendall(
                f"GET /gateway{path}?q=%2F HTTP/1.1\r\nHost: x\r\nHelicone-Auth: "
                f"{server.auth['Helicone-Auth']}\r\nHelicone-Target-Url: {recorder.url}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            assert client.recv(100).startswith(b"HTTP/1.1 200")
        assert recorder.requests[-1].startswith(f"GET {path}?q=%2F HTTP/1.1\r\n".encode())


def test_fallbacks_times_retries_are_capped(server: HeliographProcess, fake_provider: FakeProvider):
    key = str(uuid.uuid4())
    entry = {"target-url": fake_provider.url, "headers": {"x-fake-key": key}}
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            **server.auth,
            "x-fake-key": key,
            "x-fake-behaviour": "status=503",
            "Helicone-Fallbacks": json.dumps([entry] * 20),
            "Helicone-Retry-Enabled": "true",
            "Helicone-Retry-Num": "20",
            "Helicone-Retry-Min-Timeout": "0",
            "Helicone-Retry-Max-Timeout": "0",
        },
        json=BODY,
        timeout=30,
    )
    assert response.status_code == 503
    # The route's own upstream and the 20 fallbacks once each, plus the request's 10
    # retries in all (upstream_max_retries), where 21 x 21 calls were made before.
    assert sum(1 for c in fake_provider.calls if c.headers.get("x-fake-key") == key) == 31


def test_a_bedrock_deployment_cannot_change_the_host(start_server):
    server = start_server(
        env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-example"}
    )
    response = httpx.post(
        server.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {server.api_key}"},
        json={**BODY, "model": "anthropic.claude-3/bedrock/attacker.example?"},
        timeout=10,
    )
    assert response.status_code == 400
    assert "Invalid region" in response.text and "attacker.example?" in response.text


def test_webhook_to_loopback_is_refused_at_creation(server: HeliographProcess):
    for url in ["http://127.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/"]:
        response = server.api().post("/v1/webhooks", json={"destination": url, "config": {}})
        assert response.status_code == 400
        assert response.json()["data"] is None
        assert "outbound policy" in response.json()["error"]
    response = server.api().post(
        "/v1/webhooks", json={"destination": "https://u:s3cret@example.com/", "config": {}}
    )
    assert response.status_code == 400 and "s3cret" not in response.text


def test_alert_webhook_to_loopback_is_refused_at_creation(server: HeliographProcess):
    alert = {"name": "spend", "metric": "cost", "threshold": 1, "time_window": 60000,
             "webhook_urls": ["http://0x7f000001:9000/hook"]}  # fmt: skip
    response = server.api().post("/v1/alert/create", json=alert)
    assert response.status_code == 400
    assert "outbound policy" in response.json()["error"]

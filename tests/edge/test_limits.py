"""Limits at the edge against a real server with small limits: each request here breaks one.

Every test sends what a slow or hostile client would over a raw socket and expects the
refusal the limit promises, quickly, with the connection closed.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from tests.edge.raw import connect, exchange, read_until_close, request
from tests.server import HeliographProcess

HEAD_TIMEOUT_S = 1.0
BODY_IDLE_TIMEOUT_S = 1.0
LIMITS = {
    "HELIOGRAPH_MAX_HEAD_BYTES": "8192",
    "HELIOGRAPH_MAX_HEADER_COUNT": "20",
    "HELIOGRAPH_MAX_URL_BYTES": "1024",
    "HELIOGRAPH_MAX_GATEWAY_BODY_BYTES": "4096",
    "HELIOGRAPH_MAX_API_BODY_BYTES": "1024",
    "HELIOGRAPH_HEAD_TIMEOUT_S": str(HEAD_TIMEOUT_S),
    "HELIOGRAPH_BODY_IDLE_TIMEOUT_S": str(BODY_IDLE_TIMEOUT_S),
}
CHAT = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'


@pytest.fixture(scope="module")
def limited(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    server = HeliographProcess(
        tmp_path_factory.mktemp("edge") / "data", fake_provider.url, env=LIMITS
    )
    server.start()
    yield server
    server.stop()


def auth(server: HeliographProcess) -> str:
    return f"Helicone-Auth: Bearer {server.api_key}"


def test_calls_within_the_limits_are_served_on_one_kept_alive_connection(
    limited: HeliographProcess,
):
    with httpx.Client(base_url=limited.url, headers=limited.auth) as client:
        for _ in range(3):
            response = client.post("/openai/v1/chat/completions", content=CHAT)
            assert response.status_code == 200, response.text
        assert client.get("/healthz").status_code == 200


def test_slowloris_head_is_refused_with_408_within_the_head_timeout(limited: HeliographProcess):
    with connect(limited.port) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sock.settimeout(0.2)
        for _ in range(4):  # trickling bytes does not restart the clock
            sock.sendall(b"a")
            time.sleep(0.2)
        sock.settimeout(5)
        response = read_until_close(sock, started)
    assert response.status == 408
    assert response.closed
    # The server's clock starts at accept, a moment before the client's `started`.
    assert HEAD_TIMEOUT_S - 0.1 <= response.elapsed < HEAD_TIMEOUT_S + 1.5
    assert "Request head not received" in response.json()["error"]["message"]  # type: ignore[index]


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(
    limited: HeliographProcess,
):
    with connect(limited.port) as sock:
        response = read_until_close(sock)
    assert response.closed
    assert HEAD_TIMEOUT_S - 0.1 <= response.elapsed < HEAD_TIMEOUT_S + 1.5


def test_stalled_body_is_refused_with_408_after_the_idle_timeout(limited: HeliographProcess):
    head = request("/openai/v1/chat/completions", auth(limited), "Content-Length: 100", "")
    with connect(limited.port) as sock:
        sock.sendall(head.rstrip(b"\r\n") + b"\r\n\r\n" + b'{"model": ')
        response = read_until_close(sock)
    assert response.status == 408
    assert response.closed
    assert BODY_IDLE_TIMEOUT_S - 0.1 <= response.elapsed < BODY_IDLE_TIMEOUT_S + 1.5


def _served_once(sock: socket.socket) -> None:
    """One request answered on `sock`, which stays open (kept alive)."""
    sock.sendall(request("/healthz"))
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    fields = dict(line.split(b": ", 1) for line in head.lower().split(b"\r\n")[1:])
    while len(body) < int(fields[b"content-length"]):
        body += sock.recv(65536)


# One timer per connection watches its deadlines; a request on a kept-alive connection that
# begins while it is still armed for an earlier deadline gets its own full time, no less.
def test_second_head_on_a_kept_alive_connection_gets_its_own_head_timeout(
    limited: HeliographProcess,
):
    with connect(limited.port) as sock:
        _served_once(sock)
        time.sleep(HEAD_TIMEOUT_S * 0.6)  # the timer armed at accept is due before the next head's
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        response = read_until_close(sock)
    assert response.status == 408
    assert HEAD_TIMEOUT_S - 0.1 <= response.elapsed < HEAD_TIMEOUT_S + 1.5


def test_stalled_body_on_a_kept_alive_connection_is_refused_after_its_own_idle_timeout(
    limited: HeliographProcess,
):
    head = request("/openai/v1/chat/completions", auth(limited), "Content-Length: 100", "")
    with connect(limited.port) as sock:
        _served_once(sock)
        time.sleep(BODY_IDLE_TIMEOUT_S * 0.6)
        sock.sendall(head.rstrip(b"\r\n") + b"\r\n\r\n" + b'{"model": ')
        response = read_until_close(sock)
    assert response.status == 408
    assert "Request body stalled" in response.json()["error"]["message"]  # type: ignore[index]
    assert BODY_IDLE_TIMEOUT_S - 0.1 <= response.elapsed < BODY_IDLE_TIMEOUT_S + 1.5


def test_oversized_head_is_refused_with_431(limited: HeliographProcess):
    response = exchange(limited.port, request("/healthz", "X-Big: " + "a" * 20_000))
    assert response.status == 431
    assert response.closed
    assert response.json() == {
        "error": {
            "message": "Request head over 8192 bytes",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_many_small_headers_over_the_head_size_are_refused_with_431(limited: HeliographProcess):
    headers = [f"X-H{i}: " + "b" * 900 for i in range(12)]  # under the count, over the size
    assert exchange(limited.port, request("/healthz", *headers)).status == 431


def test_too_many_headers_are_refused_with_431(limited: HeliographProcess):
    response = exchange(limited.port, request("/healthz", *(f"X-H{i}: 1" for i in range(30))))
    assert response.status == 431
    assert "More than 20 request headers" in response.body.decode()


def test_long_url_is_refused_with_414(limited: HeliographProcess):
    response = exchange(limited.port, request("/healthz?q=" + "a" * 2000))
    assert response.status == 414
    assert response.closed


def test_gateway_body_over_its_content_length_limit_is_refused_before_it_is_sent(
    limited: HeliographProcess,
):
    head = request("/openai/v1/chat/completions", auth(limited), "Content-Length: 5000")
    response = exchange(limited.port, head)  # no body: the refusal must not wait for it
    assert response.status == 413
    assert response.closed
    assert response.json()["error"]["message"] == "Request body over 4096 bytes"  # type: ignore[index]


def test_unified_gateway_refuses_an_oversized_body_in_openai_format(limited: HeliographProcess):
    head = request(
        "/v1/chat/completions", f"Authorization: Bearer {limited.api_key}", "Content-Length: 5000"
    )
    response = exchange(limited.port, head)
    assert response.status == 413
    assert response.json() == {
        "error": {
            "message": "Request body over 4096 bytes",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_chunked_gateway_body_is_refused_once_its_count_passes_the_limit(
    limited: HeliographProcess,
):
    head = request("/openai/v1/chat/completions", auth(limited), "Transfer-Encoding: chunked")
    chunk = b"7d0\r\n" + b"a" * 2000 + b"\r\n"
    with connect(limited.port) as sock:
        sock.sendall(head + chunk * 3)  # 6000 bytes and no last chunk: the stream is not over
        response = read_until_close(sock)
    assert response.status == 413
    assert response.closed
    assert response.elapsed < 1.0


def test_rest_api_body_over_its_own_limit_is_refused_with_413(limited: HeliographProcess):
    body = b'{"filter": "all", "limit": 10, "pad": "' + b"x" * 2000 + b'"}'
    api_auth = f"Authorization: Bearer {limited.api_key}"
    response = exchange(
        limited.port,
        request(
            "/v1/request/query",
            api_auth,
            "Content-Type: application/json",
            method="POST",
            body=body,
        ),
    )
    assert response.status == 413
    assert response.json() == {"data": None, "error": "Request body over 1024 bytes"}
    small = exchange(
        limited.port,
        request(
            "/v1/request/query",
            api_auth,
            "Content-Type: application/json",
            "Connection: close",
            method="POST",
            body=b'{"filter": "all", "limit": 1}',
        ),
    )
    assert small.status == 200, small.body

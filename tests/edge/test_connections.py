"""Connection caps: past max_connections a 503, and never so many that descriptors run out."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable

import httpx

from tests.edge.raw import connect, exchange, request
from tests.server import HeliographProcess, open_descriptors

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def served_on_kept_alive_connection(port: int) -> socket.socket:
    """A connection that was served once and now idles (kept alive), counted by the server."""
    sock = connect(port)
    sock.sendall(request("/healthz"))
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def status_when_served_again(port: int, deadline_s: float = 5.0) -> int:
    """The status of /healthz once the server answers other than 503 (closing is not instant)."""
    deadline = time.monotonic() + deadline_s
    while True:
        status = exchange(port, request("/healthz", "Connection: close")).status
        if status != 503 or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_connections_past_the_max_get_503_and_are_served_after_others_close(
    start_server: Callable[..., HeliographProcess],
):
    server = start_server(
        env={"HELIOGRAPH_MAX_CONNECTIONS": "3", "HELIOGRAPH_KEEPALIVE_TIMEOUT_S": "30"}
    )
    idle = [served_on_kept_alive_connection(server.port) for _ in range(3)]
    try:
        response = exchange(server.port, request("/healthz"))
        assert response.status == 503
        assert response.closed
        assert "Too many open connections" in response.body.decode()
    finally:
        for sock in idle:
            sock.close()
    assert status_when_served_again(server.port) == 200


def test_a_flood_of_connections_never_exhausts_descriptors_and_calls_are_logged_after(
    start_server: Callable[..., HeliographProcess],
):
    server = start_server()
    assert server.process is not None
    pid = server.process.pid
    limit = open_descriptors(pid) + 300  # the reserve (256) leaves room for few connections
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:{limit}"], check=True)
    flood = []
    try:
        for _ in range(400):  # more than the lowered limit allows
            flood.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        time.sleep(0.5)  # the log writer runs every 50 ms: it must find descriptors meanwhile
        assert open_descriptors(pid) < limit
    finally:
        for sock in flood:
            sock.close()
    assert status_when_served_again(server.port) == 200
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json=CHAT,
        timeout=10,
    )
    assert response.status_code == 200
    assert server.wait_for_request(request_id, timeout=5)["response_status"] == 200
    assert "Too many open files" not in server.log()

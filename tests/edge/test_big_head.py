"""A huge request header costs the server little, and other clients do not wait for it.

httptools joined the pieces of a long header value with `+=`, in time growing with the square
of its size, on the event loop every client shares. An 8 MiB header now gets 431 as soon as
max_head_bytes has arrived, while another client's calls keep their usual latency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from tests.edge.raw import RawResponse, connect, read_until_close
from tests.server import HeliographProcess

BIG_HEADER_BYTES = 8 * 1024 * 1024
PIECE_BYTES = 4096  # sent in small pieces, as an attacker would, so the server reads many


def send_big_header(port: int) -> RawResponse:
    with connect(port, timeout=30) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        piece = b"a" * PIECE_BYTES
        try:
            for _ in range(BIG_HEADER_BYTES // PIECE_BYTES):
                sock.sendall(piece)
            sock.sendall(b"\r\n\r\n")
        except OSError:  # the server may have closed already
            pass
        return read_until_close(sock, started)


def latencies(client: httpx.Client, count: int) -> list[float]:
    measured = []
    for _ in range(count):
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        measured.append(time.monotonic() - started)
    return measured


def test_an_8_mib_header_is_refused_quickly_without_stalling_other_clients(
    start_server: Callable[..., HeliographProcess],
):
    server = start_server()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        baseline = max(latencies(client, 20))
        results: list[RawResponse] = []
        attack = threading.Thread(target=lambda: results.append(send_big_header(server.port)))
        attack.start()
        during = []
        while attack.is_alive() or not during:
            during.extend(latencies(client, 1))
        attack.join()
    [big] = results
    assert max(during) < baseline + 0.5, (baseline, max(during))
    assert big.status == 431
    assert big.elapsed < 2.0

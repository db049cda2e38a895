"""The roles over many machines, on this one: two `heliograph gateway` processes append
their log batches to a Redis stream, one `heliograph serve` (the REST API, with the chDB
store behind it, as one process must own chDB) ingests them; PostgreSQL holds the metadata,
Redis the stream, rate limits and cache. Under load, a gateway and then `serve` are killed
(SIGKILL) and started again, and Redis is stopped for 30 s and started again: calls keep
being answered, and every call answered is stored exactly once. Rate limits stay exact
across the gateways."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from heliograph.mock_provider import FakeProvider
from tests.concurrent_calls import BODY, statuses_of_concurrent_calls
from tests.redis_server import RedisProcess
from tests.server import HeliographProcess
from tests.store_probe import query_store

REDIS_DOWN_S = 30.0
CALL_PAUSE_S = 0.02
SETTLE_STALL_S = 60.0  # no progress in storing for this long: a failure


class Load(threading.Thread):
    """Calls to every gateway in turn, 2 at a time each, until stopped: the ids answered
    200, and the failures with when they happened."""

    def __init__(self, gateways: list[HeliographProcess]) -> None:
        super().__init__(daemon=True)
        self.gateways = gateways
        self.answered: list[str] = []
        self.failures: list[tuple[float, str, str]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        def one(gateway: HeliographProcess) -> None:
            with httpx.Client(timeout=30) as client:
                while not self.stopped.is_set():
                    try:
                        answer = client.post(
                            gateway.url + "/openai/v1/chat/completions",
                            headers=gateway.auth,
                            json=BODY,
                        )
                    except httpx.TransportError as exc:  # that gateway is down (killed)
                        self.failures.append((time.monotonic(), gateway.url, type(exc).__name__))
                        time.sleep(0.05)
                        continue
                    if answer.status_code == 200:
                        self.answered.append(answer.headers["helicone-id"])
                    else:
                        self.failures.append((time.monotonic(), gateway.url, answer.text))
                    # Paced (at most ~200 calls a second in all): one serve must store them
                    # all on a machine that the gateways and the tests beside share.
                    time.sleep(CALL_PAUSE_S)

        threads = [threading.Thread(target=one, args=(g,)) for g in self.gateways * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def wait_for(self, more: int, timeout: float = 60.0) -> None:
        target = len(self.answered) + more
        deadline = time.monotonic() + timeout
        while len(self.answered) < target:
            assert time.monotonic() < deadline, f"fewer than {more} calls answered in {timeout}s"
            time.sleep(0.05)


def _health(server: HeliographProcess) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(server.url + "/healthz", timeout=10).json()
    return body


def _settled(serve: HeliographProcess, gateways: list[HeliographProcess]) -> bool:
    """Every gateway sent all it logged to the stream, and serve stored all it took."""
    try:
        pipelines = [_health(g)["log_pipeline"] for g in gateways]
        serve_health = _health(serve)
        stored, stream = serve_health["log_pipeline"], serve_health["log_stream"]
    except (httpx.TransportError, KeyError):
        return False
    # A gateway started again sends what its killed run left too: more than it took.
    sent_all = all(
        p["backlog_rows"] == 0 and p["sent_to_stream"] >= p["submitted"] for p in pipelines
    )
    # Batches serve took as it was killed wait in the stream until claimed again (30 s).
    return sent_all and stream["in_stream"] == 0 and stored["backlog_segments"] == 0


def _settled_twice(serve: HeliographProcess, gateways: list[HeliographProcess]) -> bool:
    """Settled, and still 2 s later: serve counts the stream as of its last read (each
    second), so one look may come before it saw the last batch."""
    if not _settled(serve, gateways):
        return False
    time.sleep(2)
    return _settled(serve, gateways)


def test_gateways_stream_to_serve_and_nothing_is_lost_or_doubled(
    fake_provider: FakeProvider, tmp_path: Path, postgres_database: str
):
    redis_server = RedisProcess(tmp_path / "redis").start()
    env = {
        "HELIOGRAPH_REDIS_URL": redis_server.url,
        "HELIOGRAPH_LOG_STREAM": "heliograph:logs",
        "HELIOGRAPH_DATABASE_URL": postgres_database,
        "HELIOGRAPH_OPENAI_API_KEY": "sk-distributed-fake",
    }
    serve = HeliographProcess(tmp_path / "serve", fake_provider.url, env=env).start()
    gateways = [
        HeliographProcess(tmp_path / f"gateway-{i}", fake_provider.url, env=env, role="gateway")
        for i in (1, 2)
    ]
    load = Load(gateways)
    try:
        for gateway in gateways:
            gateway.start()
        assert httpx.get(gateways[0].url + "/v1/request/query").status_code == 404
        policy = {"Helicone-RateLimit-Policy": f"20;w=60;s={uuid.uuid4().hex}"}
        assert statuses_of_concurrent_calls(gateways, 60, policy) == {200: 20, 429: 40}
        load.start()
        load.wait_for(100)
        gateways[0].kill()  # SIGKILL
        load.wait_for(50)
        gateways[0].start()
        load.wait_for(100)
        serve.kill()
        load.wait_for(100)  # the gateways answer while serve is away
        serve.start()
        redis_server.stop()
        down_at = time.monotonic()
        time.sleep(REDIS_DOWN_S)
        answered_while_down = len(load.answered)
        redis_server.start()
        up_at = time.monotonic()
        load.wait_for(100)
        load.stopped.set()
        load.join()
        failed = [f for f in load.failures if down_at <= f[0] <= up_at]
        assert not failed, failed[:5]  # Redis away: calls answered all the same
        assert answered_while_down > 0
        # Entries serve took as it was killed wait 30 s to be claimed; the rest is the
        # machine's pace: fail only when storing stalls.
        stored, deadline = -1, 0.0
        while not _settled_twice(serve, gateways):
            now_stored = _health(serve)["log_pipeline"]["replayed"]
            if now_stored != stored:
                stored, deadline = now_stored, time.monotonic() + SETTLE_STALL_S
            assert time.monotonic() < deadline, [
                _health(p)["log_pipeline"] for p in (serve, *gateways)
            ]
            time.sleep(0.5)
    finally:
        load.stopped.set()
        for process in (*gateways, serve):
            process.stop()
        redis_server.stop()
    counts = Counter(
        {
            row["id"]: int(row["n"])
            for row in query_store(
                serve.data_dir,
                "SELECT toString(request_id) AS id, count() AS n "
                "FROM heliograph.request_response_rmt GROUP BY request_id",
            )
        }
    )
    missing = [i for i in load.answered if i not in counts]
    assert not missing, f"{len(missing)} of {len(load.answered)} answered calls not stored"
    doubled = {i: n for i, n in counts.items() if n > 1}
    assert not doubled, doubled
    print(f"{len(load.answered)} calls answered and stored once; {len(load.failures)} failed")

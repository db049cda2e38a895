"""`heliograph serve --workers 2`: two gateway processes on one port beside the store
process, on the real CLI. Calls, the REST API and the dashboard answer on the one port;
rate limits stay exact and the cache is shared across workers without Redis; a gateway
worker or the store process killed (SIGKILL) under load is started again, and every call
answered is stored exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from tests.concurrent_calls import BODY, statuses_of_concurrent_calls
from tests.server import HeliographProcess
from tests.store_probe import query_store

ENV = {"HELIOGRAPH_OPENAI_API_KEY": "sk-workers-fake"}


@pytest.fixture
def workers(fake_provider: FakeProvider, tmp_path: Path) -> Any:
    server = HeliographProcess(tmp_path / "data", fake_provider.url, env=ENV, workers=2)
    server.start()
    yield server
    server.stop()


def health(server: HeliographProcess) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(server.url + "/healthz", timeout=10)
    return answer.status_code, answer.json()


def stored_counts(data_dir: Path) -> Counter[str]:
    """Rows per request id in the store (read once the server is stopped: chDB has one
    owner), duplicates counted: a ReplacingMergeTree would hide them only after a merge."""
    rows = query_store(
        data_dir,
        "SELECT toString(request_id) AS id, count() AS n "
        "FROM heliograph.request_response_rmt GROUP BY request_id",
    )
    return Counter({row["id"]: int(row["n"]) for row in rows})


async def calls(
    server: HeliographProcess, count: int, headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30) as client:
        return await asyncio.gather(
            *(
                client.post(
                    server.url + "/openai/v1/chat/completions",
                    headers={**server.auth, **(headers or {})},
                    json=BODY,
                )
                for _ in range(count)
            )
        )


def test_calls_the_api_and_the_dashboard_answer_on_one_port(workers: HeliographProcess):
    answers = asyncio.run(calls(workers, 40))
    assert [a.status_code for a in answers] == [200] * 40
    ids = {a.headers["helicone-id"] for a in answers}
    row = workers.wait_for_request(answers[-1].headers["helicone-id"])
    assert row["model"] == "gpt-4o-mini"  # stored by the store process, read through a worker
    with workers.api() as client:
        deadline = time.monotonic() + 20
        while True:  # every call's row, each once, whichever worker served it
            found = client.post("/v1/request/query", json={"limit": 100}).json()["data"]
            if {r["request_id"] for r in found} >= ids or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert Counter(r["request_id"] for r in found if r["request_id"] in ids) == dict.fromkeys(
        ids, 1
    )
    page = httpx.get(workers.url + "/dashboard", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    _wait(lambda: sum(w["submitted"] for w in _reports(workers)) == 40, "reported (each second)")
    status, body = health(workers)
    assert status == 200, body
    reports = body["gateway_workers"]
    assert [w["worker"] for w in reports] == ["gateway-1", "gateway-2"]
    # Both took calls: the kernel spreads connections over the workers' sockets.
    assert all(w["submitted"] > 0 and w["problem"] is None for w in reports), reports


def _reports(server: HeliographProcess) -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = health(server)[1]["gateway_workers"]
    return reports


def test_rate_limits_are_exact_and_the_cache_shared_across_workers(
    workers: HeliographProcess,
):
    policy = {"Helicone-RateLimit-Policy": f"20;w=60;s={uuid.uuid4().hex}"}
    assert statuses_of_concurrent_calls([workers], 60, policy) == {200: 20, 429: 40}
    cached = {"Helicone-Cache-Enabled": "true", "Helicone-Property-Run": uuid.uuid4().hex}
    first = asyncio.run(calls(workers, 1, cached))[0]
    assert first.headers.get("helicone-cache") == "MISS"
    again = asyncio.run(calls(workers, 20, cached))
    assert [a.headers.get("helicone-cache") for a in again] == ["HIT"] * 20
    assert {a.json()["id"] for a in again} == {first.json()["id"]}


class Load(threading.Thread):
    """Calls, 4 at a time, until stopped; the ids of those answered 200."""

    def __init__(self, server: HeliographProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.answered: list[str] = []
        self.failed: Counter[str] = Counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        def one() -> None:
            with httpx.Client(timeout=30) as client:
                while not self.stopped.is_set():
                    try:
                        answer = client.post(
                            self.server.url + "/openai/v1/chat/completions",
                            headers=self.server.auth,
                            json=BODY,
                        )
                    except httpx.TransportError as exc:  # a connection the killed worker held
                        self.failed[type(exc).__name__] += 1
                        continue
                    if answer.status_code == 200:
                        self.answered.append(answer.headers["helicone-id"])
                    else:
                        self.failed[str(answer.status_code)] += 1

        threads = [threading.Thread(target=one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _pids(server: HeliographProcess) -> dict[str, int]:
    return {w["worker"]: w["pid"] for w in _reports(server)}


def _store_pid(server: HeliographProcess) -> int:
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    gateways = set(_pids(server).values())
    spawned = [
        int(pid)
        for pid in children.read_text().split()
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    (store,) = set(spawned) - gateways  # not multiprocessing's resource tracker either
    return store


def _wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {timeout}s"
        time.sleep(0.2)


@pytest.mark.parametrize("victim", ["gateway-1", "store"])
def test_a_killed_process_is_restarted_and_every_answered_call_stored_once(
    workers: HeliographProcess, victim: str
):
    load = Load(workers)
    load.start()
    _wait(lambda: len(load.answered) >= 100, "under way")
    before = _pids(workers)
    pid = _store_pid(workers) if victim == "store" else before[victim]
    os.kill(pid, signal.SIGKILL)
    answered_at_kill = len(load.answered)
    _wait(lambda: len(load.answered) >= answered_at_kill + 200, "serving after the kill")
    load.stopped.set()
    load.join()
    if victim == "store":  # the gateways answered calls while the store was away
        _wait(lambda: "gateway_workers" in health(workers)[1], "store restarted")
        assert before == _pids(workers)
    else:
        _wait(lambda: _pids(workers)[victim] != pid, f"{victim} restarted")

    def settled() -> bool:
        status, body = health(workers)
        pipelines = [body["log_pipeline"], *body["gateway_workers"]]
        return status == 200 and all(p["backlog_rows"] == 0 for p in pipelines)

    _wait(settled, "every row stored")
    workers.stop()
    counts = stored_counts(workers.data_dir)
    missing = [i for i in load.answered if i not in counts]
    assert not missing, f"{len(missing)} of {len(load.answered)} answered calls not stored"
    doubled = {i: n for i, n in counts.items() if n > 1}
    assert not doubled, doubled
    print(f"{len(load.answered)} calls answered and stored once; failed: {dict(load.failed)}")


def test_the_children_stop_when_the_supervisor_is_killed(workers: HeliographProcess):
    children = [*_pids(workers).values(), _store_pid(workers)]
    workers.kill()  # SIGKILL: the supervisor runs no code of its own
    _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), "children gone")
    workers.start()  # the port and the store are free again
    assert health(workers)[0] == 200

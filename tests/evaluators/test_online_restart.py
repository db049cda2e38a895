"""Online evaluation survives a crash: traffic flows, the server is killed (SIGKILL) while
requests are being answered and evaluations are running, and after the restart every
sampled request that was answered is scored, exactly once (one judge call logged each),
and no other request is."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from heliograph.evaluators.online_config import sampled
from heliograph.evaluators.worker import JUDGE_IDS
from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import (
    GATEWAY_ENV,
    attach,
    create_evaluator,
    health,
    judge_template,
    logged_call,
    scores_of,
)
from tests.server import HeliographProcess

RATE = 40
ENV = {
    **GATEWAY_ENV,
    # Every upstream call (the judge's too) takes a while, so the kill lands mid-work.
    "HELIOGRAPH_OPENAI_API_KEY": "sk-evaluators-fake-behaviour:delay_ms=40",
    "HELIOGRAPH_ONLINE_EVALUATION_CONCURRENCY": "2",
    "HELIOGRAPH_ONLINE_EVALUATION_BUSY_SHARE": "50",  # evaluation keeps up with the traffic
    # A killed job's lease ends 18 s later; a judge call on a loaded CI machine (three test
    # workers beside this server) can take seconds, and one over the limit fails its job.
    "HELIOGRAPH_ONLINE_EVALUATION_TIMEOUT_S": "8",
}


class Traffic(threading.Thread):
    """Logged calls, 4 at a time, until stopped or the server goes away; the answered ids."""

    def __init__(self, server: HeliographProcess, key: str) -> None:
        super().__init__(daemon=True)
        self.server, self.key = server, key
        self.answered: list[str] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        lock = threading.Lock()

        def one() -> None:
            while not self.stopped.is_set():
                try:
                    request_id = logged_call(self.server, self.key)
                except (httpx.TransportError, AssertionError):
                    return
                with lock:
                    self.answered.append(request_id)

        workers = [threading.Thread(target=one) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def _wait(condition: Any, what: str, timeout: float = 90.0, state: Any = None) -> None:
    """Wait for `condition`; while `state()` keeps changing (work is moving), the timeout
    counts from its last change, so a slow machine is not taken for a stalled worker."""
    seen = state() if state is not None else None
    deadline = time.monotonic() + timeout
    while not condition():
        now_seen = state() if state is not None else None
        if now_seen != seen:
            seen, deadline = now_seen, time.monotonic() + timeout
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what}: nothing moved for {timeout}s: {seen}")
        time.sleep(0.1)


def test_every_sampled_request_is_scored_exactly_once_across_a_crash(
    fake_provider: FakeProvider, tmp_path: Path
):
    server = HeliographProcess(tmp_path / "data", fake_provider.url, env=ENV).start()
    try:
        key = server.create_key("crash")
        template = judge_template('{"Helpful": 6}')
        evaluator = create_evaluator(
            server, key, name="Helpful", scoring_type="LLM-RANGE", llm_template=template
        )
        online = attach(server, key, evaluator["id"], sampleRate=RATE)
        traffic = Traffic(server, key)
        traffic.start()
        _wait(lambda: health(server)["done"] >= 5 and len(traffic.answered) >= 60, "under way")
        server.kill()  # mid-traffic, mid-evaluation
        traffic.join()
        server.start()
        more = [logged_call(server, key) for _ in range(10)]
        answered = traffic.answered + more
        chosen = {r for r in answered if sampled(r, RATE)}
        _wait(
            lambda: health(server)["pending"] == 0 and _scored(server, key, chosen),
            "all scored",
            timeout=30.0,
            state=lambda: (
                health(server),
                Counter(status for *_, status in _jobs(server.data_dir)),
            ),
        )
        for request_id in set(answered) - chosen:
            assert "helpful" not in scores_of(server, key, request_id)
        jobs = _jobs(server.data_dir)
        assert {status for _, _, status in jobs} == {"done"}
        by_request = Counter(request_id for _, request_id, _ in jobs)
        assert all(by_request[r] == 1 for r in chosen)  # one job each, and it is done
        # One judge call logged each: a job run again after the kill logs under the same id.
        judged = Counter(_judge_calls(server, key))
        expected = {str(uuid.uuid5(JUDGE_IDS, f"{online['id']}:{r}")) for r in by_request}
        assert set(judged) == expected and set(judged.values()) == {1}
    finally:
        server.stop()


def _scored(server: HeliographProcess, key: str, chosen: set[str]) -> bool:
    return all(scores_of(server, key, r).get("helpful") == 6 for r in chosen)


def _judge_calls(server: HeliographProcess, key: str) -> list[str]:
    body = {"filter": {"properties": {"Helicone-Evaluator": {"equals": "Helpful"}}}, "limit": 1000}
    with server.api(key) as client:
        rows = client.post("/v1/request/query-clickhouse", json=body).json()["data"]
    return [row["request_id"] for row in rows]


def _jobs(data_dir: Path) -> list[tuple[str, str, str]]:
    engine = create_engine(f"sqlite:///{data_dir / 'metadata.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT online_evaluator_id, request_id, status FROM evaluation_jobs")
            ).all()
    finally:
        engine.dispose()
    return [(str(a), str(b), str(c)) for a, b, c in rows]

"""The online evaluation backlog is capped (online_evaluation_max_queued), in-process: past
the cap new jobs are dropped and counted on /healthz, the queued ones are still scored, and
once the backlog drains new jobs are queued again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import (
    attach,
    create_evaluator,
    health,
    in_process_app,
    logged_call,
    scores_of,
    wait_for_score,
)
from tests.inprocess import InProcessServer

MAX_QUEUED = 2
# Slow enough that no job is done before every call below is logged: the backlog only grows.
SLOW_CODE = "import time\n\ndef evaluate(request, response):\n    time.sleep(2)\n    return 1\n"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(
        fake_provider,
        tmp_path_factory,
        "evaluators-capped",
        HELIOGRAPH_ONLINE_EVALUATION_MAX_QUEUED=str(MAX_QUEUED),
        HELIOGRAPH_ONLINE_EVALUATION_CONCURRENCY="1",
    )


def _wait_for(server: InProcessServer, field: str, wanted: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (stats := health(server))[field] != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stats[field] == wanted, stats


def test_jobs_past_the_cap_are_dropped_and_counted_then_queue_again(server: InProcessServer):
    key = server.new_organization("capped")
    evaluator = create_evaluator(
        server, key, name="Slow", scoring_type="PYTHON", code_template=SLOW_CODE
    )
    attach(server, key, evaluator["id"])
    before = health(server)
    assert before["dropped"] == 0
    calls = [logged_call(server, key) for _ in range(5)]
    _wait_for(server, "dropped", len(calls) - MAX_QUEUED)
    _wait_for(server, "done", before["done"] + MAX_QUEUED)
    assert health(server)["failed"] == before["failed"]
    scored = [request_id for request_id in calls if "slow" in scores_of(server, key, request_id)]
    assert len(scored) == MAX_QUEUED
    later = logged_call(server, key)  # the backlog drained: there is room again
    assert wait_for_score(server, key, later, "slow") == 1
    assert health(server)["dropped"] == len(calls) - MAX_QUEUED

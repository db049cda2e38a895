"""An experiment run survives a crash: the server is killed (SIGKILL) mid-run, and after
the restart the run carries on: every cell ends with exactly one output, every output's
call is logged once under its own request id, and the provider was not called again for
cells whose calls were logged before the kill."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import GATEWAY_ENV
from tests.experiments.helpers import call, prompt_experiment, wait_until_idle
from tests.server import HeliographProcess

CONCURRENCY = 4
ENV = {
    **GATEWAY_ENV,
    # Every upstream call takes a while, so the kill lands mid-run.
    "HELIOGRAPH_OPENAI_API_KEY": "sk-experiments-fake-behaviour:delay_ms=60",
    "HELIOGRAPH_EXPERIMENT_TIMEOUT_S": "2",  # a killed call's lease ends 12 s later
}


def _outputs(data_dir: Path) -> list[tuple[str, str, str, str]]:
    engine = create_engine(f"sqlite:///{data_dir / 'metadata.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT row_id, prompt_version_id, request_id, status FROM experiment_outputs")
            ).all()
    finally:
        engine.dispose()
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def _logged(server: HeliographProcess, key: str, experiment: str) -> list[dict[str, Any]]:
    body = {
        "filter": {"properties": {"Helicone-Experiment-Id": {"equals": experiment}}},
        "limit": 1000,
    }
    with server.api(key) as client:
        rows: list[dict[str, Any]] = client.post("/v1/request/query-clickhouse", json=body).json()[
            "data"
        ]
    return rows


def test_a_run_killed_midway_resumes_without_duplicate_calls(
    fake_provider: FakeProvider, tmp_path: Path
):
    server = HeliographProcess(tmp_path / "data", fake_provider.url, env=ENV).start()
    marker = uuid.uuid4().hex[:12]
    try:
        key = server.create_key("experiment-crash")
        _, experiment, _, _ = prompt_experiment(server, key)
        # The last row lacks the input: its two cells fail, the others complete.
        rows = [{"topic": f"{marker}-{i}"} for i in range(49)] + [{"other": marker}]
        path = f"/v2/experiment/{experiment}"
        call(server, key, "POST", f"{path}/add-manual-rows-batch", {"inputs": rows})
        call(server, key, "POST", f"{path}/run", {"concurrency": CONCURRENCY})
        deadline = time.monotonic() + 60
        while call(server, key, "GET", f"{path}/progress")["done"] < 20:
            assert time.monotonic() < deadline, "the run did not get under way"
            time.sleep(0.05)
        server.kill()
        killed_at = call_count(fake_provider, marker)
        assert killed_at < 98, "the kill came after the run was over"
        server.start()
        progress = wait_until_idle(server, key, experiment, timeout=120, logged=100)
        assert (progress["total"], progress["done"], progress["failed"]) == (100, 98, 2)

        outputs = _outputs(server.data_dir)
        cells = Counter((row_id, version) for row_id, version, _, _ in outputs)
        assert len(cells) == 100 and set(cells.values()) == {1}, "one output per cell"
        assert Counter(status for *_, status in outputs) == {"done": 98, "failed": 2}
        logged = _logged(server, key, experiment)
        assert sorted(r["request_id"] for r in logged) == sorted(o[2] for o in outputs)
        # Calls in flight at the kill were never logged, so they are made again; no other.
        # (The failing row's calls never reach it: they cannot be assembled.)
        assert 98 <= call_count(fake_provider, marker) <= 98 + CONCURRENCY
    finally:
        server.stop()


def call_count(fake: FakeProvider, marker: str) -> int:
    """Calls the provider received for this test's rows."""
    return sum(1 for c in fake.calls if marker.encode() in c.body)

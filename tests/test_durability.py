"""Crash safety: every response a client fully received has exactly one logged row."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.server import HeliographProcess
from tests.store_probe import query_store


def _load(server: HeliographProcess, completed: list[str], stop: threading.Event) -> None:
    with httpx.Client(timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            request_id = str(uuid.uuid4())
            streaming = n % 3 == 0
            try:
                response = client.post(
                    server.url + "/openai/v1/chat/completions",
                    headers={**server.auth, "Helicone-Request-Id": request_id},
                    json={
                        "model": "gpt-4o-mini",
                        "stream": streaming,
                        "messages": [{"role": "user", "content": f"call {n}"}],
                    },
                )
            except httpx.TransportError:
                return
            if response.status_code == 200 and (
                not streaming or response.text.rstrip().endswith("data: [DONE]")
            ):
                completed.append(request_id)


def test_sigkill_under_load_loses_and_duplicates_nothing(
    start_server: Callable[..., HeliographProcess], tmp_path: Path
):
    data_dir = tmp_path / "crash"
    # A long batch interval keeps many rows only in the spool when the kill lands.
    server = start_server(data_dir, env={"HELIOGRAPH_LOG_BATCH_MS": "5000"})
    completed: list[str] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_load, args=(server, completed, stop)) for _ in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join()
    assert len(completed) > 50, "the load generator should have completed many calls"

    restarted = start_server(data_dir)  # replays the spool at start-up
    assert restarted.wait_for_request(completed[-1])["response_status"] == 200
    restarted.stop()

    rows = query_store(
        data_dir,
        "SELECT toString(request_id) AS id, count() AS n "
        "FROM heliograph.request_response_rmt GROUP BY request_id",
    )
    counts = {row["id"]: int(row["n"]) for row in rows}
    missing = [rid for rid in completed if rid not in counts]
    duplicated = {rid: n for rid, n in counts.items() if n != 1}
    assert not missing, f"{len(missing)} completed requests have no row"
    assert not duplicated, f"rows stored more than once: {duplicated}"


def test_rows_wait_in_spool_and_replay_after_restart(
    start_server: Callable[..., HeliographProcess], tmp_path: Path
):
    data_dir = tmp_path / "replay"
    server = start_server(data_dir, env={"HELIOGRAPH_LOG_BATCH_MS": "60000"})
    ids = []
    for _ in range(20):
        response = httpx.post(
            server.url + "/openai/v1/chat/completions",
            headers=server.auth,
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        ids.append(response.headers["helicone-id"])
    spooled = b"".join(p.read_bytes() for p in (data_dir / "spool").iterdir())
    assert all(rid.encode() in spooled for rid in ids), "rows reach the spool before responses end"
    server.kill()
    restarted = start_server(data_dir)
    for rid in ids:
        assert restarted.wait_for_request(rid)["request_id"] == rid

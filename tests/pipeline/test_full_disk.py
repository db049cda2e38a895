"""A full data disk under a real server: logging holds rows, says so, applies its loss
policy, and recovers by itself once space comes back, with every served call stored once."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server import HeliographProcess
from tests.store_probe import query_store

# Room for chDB's tables and a server's first rows; a filler file takes the rest.
DISK_SIZE = "96m"
BUFFER_BYTES = 8192  # a few rows: the policy applies after a handful of calls


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of DISK_SIZE mounted for the test, used as the data dir (the server's
    own log goes beside it, on the ordinary disk)."""
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount_point)],
        check=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the disk is full to the last page."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (1 << 20, 4096):
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * chunk)
    probe = disk / "probe"
    with pytest.raises(OSError) as full, open(probe, "wb", buffering=0) as out:
        out.write(b"x" * 4096)
    probe.unlink(missing_ok=True)
    assert full.value.errno == errno.ENOSPC
    return filler


def call(server: HeliographProcess, request_id: str) -> httpx.Response:
    return httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )


def health(server: HeliographProcess) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(server.url + "/healthz", timeout=5)
    return answer.status_code, answer.json()


def wait_healthy(server: HeliographProcess, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = health(server)
        if status == 200 and body["log_pipeline"]["backlog_rows"] == 0:
            return body
        assert time.monotonic() < deadline, f"/healthz never recovered: {body}"
        time.sleep(0.1)


def stored_counts(data_dir: Path) -> dict[str, int]:
    rows = query_store(
        data_dir,
        "SELECT toString(request_id) AS id, count() AS n "
        "FROM heliograph.request_response_rmt GROUP BY request_id",
    )
    return {row["id"]: int(row["n"]) for row in rows}


@pytest.mark.parametrize("policy", ["refuse", "drop"])
def test_full_disk_holds_rows_applies_the_policy_and_recovers(
    small_disk: Path, start_server: Callable[..., HeliographProcess], policy: str
):
    server = start_server(
        small_disk,
        env={
            "HELIOGRAPH_LOG_MEMORY_BUFFER_BYTES": str(BUFFER_BYTES),
            "HELIOGRAPH_LOG_LOSS_POLICY": policy,
        },
    )
    served = [str(uuid.uuid4())]
    assert call(server, served[0]).status_code == 200
    wait_healthy(server)
    filler = fill(small_disk)

    refused = []
    for _ in range(40):
        request_id = str(uuid.uuid4())
        answer = call(server, request_id)
        if answer.status_code == 200:
            served.append(request_id)
        else:
            assert answer.status_code == 503, answer.text
            assert "logging is unavailable" in answer.json()["error"]["message"]
            refused.append(request_id)
    status, body = health(server)
    assert status == 503, body
    assert body["status"] == "degraded"
    assert "No space left on device" in body["reason"]
    assert body["log_pipeline"]["spool_write_failures"] >= 1
    assert body["log_pipeline"]["held_rows"] >= 1
    with server.api() as api:  # the REST API keeps answering
        assert api.get("/v1/request/" + served[0]).status_code == 200
    if policy == "refuse":
        assert refused, "new calls are refused once the memory buffer is full"
        assert body["log_pipeline"]["refused_calls"] == len(refused)
        assert body["log_pipeline"]["lost_rows"] == 0
    else:
        assert not refused and len(served) == 41
        assert body["log_pipeline"]["lost_rows"] >= 1

    filler.unlink()
    recovered = wait_healthy(server)
    lost = recovered["log_pipeline"]["lost_rows"]
    assert call(server, str(uuid.uuid4())).status_code == 200, "calls are served again"
    server.stop()
    log = server.log()
    assert "No space left on device" in log
    assert "Traceback" not in log

    counts = stored_counts(small_disk)
    assert all(n == 1 for n in counts.values()), "no row is stored twice"
    served_and_stored = [rid for rid in served if rid in counts]
    assert len(served_and_stored) == len(served) - lost, "every served call is stored or counted"
    assert not any(rid in counts for rid in refused)
    if policy == "refuse":
        assert lost == 0
    assert os.stat(small_disk).st_mode & 0o777 == 0o700


def test_shutdown_on_a_full_disk_succeeds_and_counts_the_rows_it_could_not_write(
    small_disk: Path, start_server: Callable[..., HeliographProcess]
):
    server = start_server(small_disk)
    fill(small_disk)
    for _ in range(3):
        assert call(server, str(uuid.uuid4())).status_code == 200  # held in memory
    assert health(server)[1]["log_pipeline"]["held_rows"] == 3
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done.
    assert server.process.wait(timeout=30) == -signal.SIGTERM
    log = server.log()
    assert "3 log row(s) could not be written to the spool before shutdown and are lost" in log
    assert "Traceback" not in log and "shutdown failed" not in log.lower()

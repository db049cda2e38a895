"""`python -m bench.faults --smoke` runs the cheap faults once each and cleans up after itself.

The cheap ones: PostgreSQL's initdb and the kill fault's restart would take the run past a
minute (`--smoke` with all six takes about 90 s; docs/benchmarks.md).

The harness is what is checked here, not Heliograph: the run must finish, write a report
whose verdict matches its exit code (1 when a 2xx call is missing or stored twice, as on a
server that loses rows while its disk is full), account for every call it made, and leave
no tmpfs mounted behind. Skipped where it cannot run: not root, no redis-server, or no
tmpfs.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHEAP_FAULTS = ("disk-full", "descriptors", "redis", "hostile")


def _cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "bench.faults needs root (it mounts a tmpfs)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    with tempfile.TemporaryDirectory() as mountpoint:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountpoint],
            capture_output=True,
            check=False,
        )
        if mounted.returncode != 0:
            return f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}"
        subprocess.run(["umount", mountpoint], check=True)
    return None


def _ours_left() -> set[str]:
    """Mounts (and PostgreSQL directories) a bench.faults run holds while it runs."""
    mounts = {
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if "heliograph-faults" in line
    }
    return mounts | set(glob.glob(os.path.join(tempfile.gettempdir(), "heliograph-faults-pg-*")))


@pytest.mark.timeout(150)
def test_faults_smoke(tmp_path: Path) -> None:
    reason = _cannot_run()
    if reason is not None:
        pytest.skip(reason)
    before = _ours_left()
    out = tmp_path / "faults"
    command = [sys.executable, "-m", "bench.faults", "--smoke", "--out", str(out)]
    command += ["--faults", ",".join(CHEAP_FAULTS)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=140)
    assert done.returncode in (0, 1), f"exited {done.returncode}:\n{done.stderr[-4000:]}"
    document = json.loads(out.with_suffix(".json").read_text())
    assert done.returncode == (0 if document["ok"] else 1), document["problems"]
    assert out.with_suffix(".md").read_text().startswith("# bench.faults (smoke")
    assert [w["name"].split(":", 1)[1] for w in document["faults"]] == list(CHEAP_FAULTS)
    summary = document["summary"]
    windows = summary["windows"]
    assert sum(w["calls"] for w in windows) == summary["calls"] > 0
    assert windows[0]["window"] == "steady" and windows[0]["answers"].get("2xx", 0) > 0
    assert summary["server"]["server_starts"] == 1
    disk_full = next(w for w in document["faults"] if w["name"].endswith("disk-full"))
    assert disk_full["details"]["filler_mib"] > 0  # the tmpfs really filled
    assert _ours_left() == before  # the tmpfs unmounted

"""chDB's allocator hands freed memory back within about a second, unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="reads resident memory from /proc"
)

# A child process: chDB's allocator reads its settings once, when chDB loads.
CHILD = """
import asyncio, os, sys, time
from pathlib import Path
from heliograph.store.chdb_engine import ChdbEngine

def resident_anonymous_mib():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon"):
            return int(line.split()[1]) // 1024

async def main():
    engine = ChdbEngine(Path(sys.argv[1]))
    await engine.open()
    await engine.execute(
        "CREATE TABLE t (id UInt64, s String CODEC(ZSTD(1))) ENGINE = MergeTree ORDER BY id"
    )
    before = resident_anonymous_mib()
    for _ in range(5):  # about what a second of stream rows is
        lines = [b'{"id": %d, "s": "%s"}\\n' % (i, os.urandom(3000).hex().encode())
                 for i in range(2000)]
        await engine.insert_json_lines("t", lines)
    after_inserts = resident_anonymous_mib()
    for _ in range(15):  # 1.5 s; the allocator purges as it works: keep it lightly busy
        await engine.select("SELECT 1 AS one")
        time.sleep(0.1)
    print(before, after_inserts, resident_anonymous_mib())
    await engine.close()

asyncio.run(main())
"""


def _resident_mib(tmp_path: Path, allocator_conf: str | None) -> tuple[int, int, int]:
    env = {k: v for k, v in os.environ.items() if k != "JE_MALLOC_CONF"}
    if allocator_conf is not None:
        env["JE_MALLOC_CONF"] = allocator_conf
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "store")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after_inserts, later = (int(n) for n in done.stdout.split())
    return before, after_inserts, later


def test_freed_memory_goes_back_within_seconds_by_default(tmp_path: Path):
    # Measured: 26-29% of what the inserts took is still resident 1.5 s later; with
    # ClickHouse's own default (5 s) 79-87% is.
    before, after_inserts, later = _resident_mib(tmp_path, None)
    assert after_inserts - before > 30, "the inserts should have needed memory"
    assert later - before < (after_inserts - before) * 0.6


def test_an_operators_allocator_setting_wins(tmp_path: Path):
    before, after_inserts, later = _resident_mib(tmp_path, "dirty_decay_ms:600000")
    assert after_inserts - before > 30
    assert later - before > (after_inserts - before) * 3 / 4, "kept, as the operator asked"

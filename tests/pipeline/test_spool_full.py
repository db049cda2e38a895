"""The spool on a real, tiny tmpfs: a write that fails part-way leaves whole rows only, and
the rows it could not write go to disk, once each and in order, when space comes back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.pipeline import writer
from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from tests.pipeline.test_writer import FlakySink, row


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], check=True
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_but(disk: Path, left: int) -> Path:
    """Fill the disk, then free `left` bytes (whole pages)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    with open(filler, "r+b") as out:
        out.truncate(filler.stat().st_size - left)
    return filler


def test_a_write_failing_part_way_keeps_whole_rows_and_finishes_later(tiny_disk: Path):
    spool = Spool(tiny_disk / "spool")
    filler = fill_but(tiny_disk, 4096)
    lines = [row().line for _ in range(100)]  # ~100 bytes each: more than the page left
    for line in lines:
        spool.append(line)  # outside an event loop: written at once, or held
    assert spool.last_error is not None and spool.waiting_rows > 0
    (segment,) = spool.directory.iterdir()
    on_disk = segment.read_bytes()
    assert on_disk.endswith(b"\n"), "what a failed write left of a row is cut off"
    assert on_disk == b"".join(lines[: len(lines) - spool.waiting_rows])
    filler.unlink()
    assert spool.write_waiting()
    assert spool.last_error is None and spool.waiting_rows == 0
    sealed = spool.seal()
    assert sealed == (segment, 100)
    assert Spool.read_segment(segment) == lines


def test_rows_waiting_or_lost_are_reported_once_a_minute(
    tiny_disk: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    async def scenario() -> tuple[int, int]:
        pipeline = LogPipeline(
            Spool(tiny_disk / "spool"),
            FlakySink(),
            batch_ms=20,
            memory_buffer_bytes=1000,
            loss_policy="drop",
        )
        await pipeline.start()
        fill_but(tiny_disk, 0)
        for _ in range(30):
            pipeline.submit(row())
            await asyncio.sleep(0)
        monkeypatch.setattr(writer, "REPORT_INTERVAL_S", 0.05)  # the next report: now
        await asyncio.sleep(0.2)
        held, lost = pipeline.held_rows, pipeline.stats.lost
        await pipeline.close()
        assert pipeline.stats.lost == 30, "at shutdown, the rows held are lost too"
        return held, lost

    with caplog.at_level(logging.WARNING, "heliograph.pipeline"):
        held, lost = asyncio.run(scenario())
    assert held + lost == 30 and 0 < held < 30
    reports = [r.getMessage() for r in caplog.records if "not stored yet" in r.getMessage()]
    assert reports[0] == (
        f"log rows not stored yet: {held} held in memory, 0 in the spool; "
        f"{lost} lost in the last minute"
    )

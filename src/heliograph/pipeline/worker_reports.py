"""How the gateway workers of `serve --workers N` tell the store process about their log
pipelines: each writes a small JSON report every second (REPORT_EVERY_S) to a directory
of the data dir; the store process's /healthz reads them all, so a worker whose spool
cannot be written, or that stopped reporting, shows there whichever process answers."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import orjson

from heliograph.pipeline.writer import LogPipeline

REPORT_EVERY_S = 1.0
STALE_AFTER_S = 10.0  # a worker silent this long is stuck or gone (it is restarted at once)


def write_report(directory: Path, worker: str, pipeline: LogPipeline) -> None:
    """This worker's report, replacing its last one whole (blocking: a file write)."""
    stats = pipeline.stats
    report = {
        "worker": worker,
        "pid": os.getpid(),
        "at": time.time(),
        "problem": pipeline.problem(),
        "submitted": stats.submitted,
        "handed_off": stats.stored + stats.replayed,
        "backlog_rows": pipeline.backlog_rows,
        "held_rows": pipeline.held_rows,
        "lost_rows": stats.lost,
        "refused_calls": stats.refused_calls,
        "spool_write_failures": pipeline.spool_write_failures,
    }
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = directory / f".{worker}.json"
    temporary.write_bytes(orjson.dumps(report))
    os.rename(temporary, directory / f"{worker}.json")


class WorkerReports:
    """The reports of every gateway worker, as the store process reads them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def clear(self) -> None:
        """Forget the reports of an earlier run (at start, before any worker runs)."""
        for path in self.directory.glob("*.json"):
            path.unlink(missing_ok=True)

    def reporting(self) -> set[int]:
        """The process ids of the workers that reported (they are serving)."""
        return {int(report["pid"]) for report in self.read()}

    def read(self) -> list[dict[str, Any]]:
        """Each worker's last report with its age; a stale one says so as its problem."""
        reports = []
        now = time.time()
        for path in sorted(self.directory.glob("[!.]*.json")):
            with contextlib.suppress(OSError, orjson.JSONDecodeError):
                report = orjson.loads(path.read_bytes())
                report["age_s"] = round(max(0.0, now - float(report.pop("at"))), 1)
                if report["age_s"] > STALE_AFTER_S and report["problem"] is None:
                    report["problem"] = f"it has not reported for {report['age_s']:g} s"
                reports.append(report)
        return reports

"""What every benchmark entry point shares: the temp dir, clean-up on Ctrl-C or SIGTERM,
failures as one message, the run's metadata, and the checks of a Heliograph that ran.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import report, systems
from bench.processes import BenchError, Service, missing_tools


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: unwind through the same clean-up as Ctrl-C


def run_main(prog: str, body: Callable[[Path], int]) -> int:
    """Run `body(tmp)` in a fresh temp dir; BenchError -> exit 1, interrupted -> 130.

    Every process the body starts is stopped by its own `finally`, so an interrupt leaves
    nothing running."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    tmp = Path(tempfile.mkdtemp(prefix=f"heliograph-{prog.rsplit('.', 1)[-1]}-"))
    try:
        return body(tmp)
    except BenchError as exc:
        print(f"{prog}: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; everything started was stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cannot_run(prog: str, tools: tuple[str, ...] = ("nginx", "wrk", "taskset")) -> int | None:
    """2 (after saying which) when a tool the benchmark drives is missing, else None."""
    missing = missing_tools(tools)
    if not missing:
        return None
    print(f"{prog}: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
    return 2


def conclude(prog: str, out: Path, document: dict[str, Any], problems: list[str]) -> int:
    """Write the results document, say where, and the run's exit code (1 with problems)."""
    report.write_json(out, document)
    print(f"results: {out}")
    if problems:
        print(f"{prog}: FAILED:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    return 0


def metadata(name: str, mode: str, cpus: Any) -> dict[str, Any]:
    """The start of every results document: what ran where, and how busy the machine was."""
    return {
        "benchmark": name,
        "mode": mode,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        # other work on the machine skews every figure; `end` is filled in at the end
        "load_average_1_5_15_min": {"start": os.getloadavg()},
        "cpu_pinning": {"system_under_test": cpus.heliograph, "load_and_fake": cpus.load},
        "versions": {**report.versions(), **systems.versions()},
    }


def finish(document: dict[str, Any], problems: list[str]) -> None:
    document["load_average_1_5_15_min"]["end"] = os.getloadavg()
    document["problems"] = problems
    document["ok"] = not problems


def heliograph_problems(
    service: Service, pipeline: dict[str, Any], served: int, drain_timeout_s: float
) -> list[str]:
    """After Heliograph stopped: a clean exit, no logged errors, every row stored."""
    problems = []
    if not pipeline.get("drained"):
        problems.append(
            f"{service.name}: log pipeline did not store every row within "
            f"{drain_timeout_s:.0f} s: {pipeline}, requests served {served}"
        )
    # uvicorn re-raises the SIGTERM it handled, so a clean shutdown ends with -SIGTERM.
    if service.exit_code not in (0, -signal.SIGTERM):
        problems.append(
            f"{service.name} exited with {service.exit_code} on SIGTERM:\n{service.log_tail()}"
        )
    errors = service.log_errors()
    if errors:
        problems.append(f"{service.name} logged errors:\n" + "\n".join(errors[:20]))
    return problems

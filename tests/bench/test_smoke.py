"""`make bench-smoke` keeps working: the comparison harness end to end, figures never asserted.

Runs `python -m bench.compare --smoke` as the Makefile does, with 1 s cases (nginx, wrk and
h2load when installed; the Python stand-ins otherwise), and once more with the stand-ins
forced so that the install-free path stays working on machines that have the tools.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _compare(out: Path, *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.compare", "--smoke", "--out", str(out), *args]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=540, check=False
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr[-4000:]}"
    document: dict[str, Any] = json.loads(out.with_suffix(".json").read_text())
    markdown = out.with_suffix(".md").read_text()
    assert document["ok"] and document["problems"] == []
    assert "## Throughput, closed loop" in markdown and "## Heliograph's log pipeline" in markdown
    return document


def _check_shape(document: dict[str, Any], load_generator: str | None = None) -> None:
    if load_generator is not None:
        assert document["settings"]["load_generator"] == load_generator
    assert list(document["systems"]) == ["direct", "heliograph"]
    measured = {(c["system"], c["kind"], c["mode"]) for c in document["cases"]}
    assert measured == {
        (system, kind, mode)
        for system in ("direct", "heliograph")
        for kind in ("completion", "stream")
        for mode in ("closed", "open")
    }
    assert all(c["requests"] > 0 and c["errors"] == 0 for c in document["cases"])
    for name, system in document["systems"].items():
        assert system["ttft"]["streams"] > 0, name
        assert system["rss_peak_mib"] > 0, name
    # Every request Heliograph answered was logged and stored in chDB.
    pipeline = document["log_pipeline"]
    served = document["systems"]["heliograph"]["requests_served"]
    assert pipeline["drained"] and pipeline["stored"] >= served > 0
    # The added latency is computed against direct for each Heliograph row.
    heliograph_rows = [r["systems"]["heliograph"] for r in document["comparison"]]
    assert all("added_p50_ms" in row for row in heliograph_rows)


@pytest.mark.timeout(600)
def test_bench_smoke(tmp_path: Path) -> None:
    document = _compare(tmp_path / "smoke", "--seconds", "1")  # the harness, not figures
    _check_shape(document)
    assert document["query"]["total_rows"] > 0  # bench.query ran as a section of the report
    assert {t["target"] for t in document["targets"]} >= {"completions/s at c=16 >= 4,000"}
    assert (tmp_path / "smoke.png").stat().st_size > 0


@pytest.mark.timeout(600)
def test_bench_smoke_with_python_stand_ins(tmp_path: Path) -> None:
    document = _compare(
        tmp_path / "stand-ins", "--stand-ins", "--seconds", "1", "--query-rows", "0"
    )
    _check_shape(document, "python threads (bench.pyload)")
    assert document["fake_provider"]["kind"] == "python (bench.pyfake)"
    assert "query" not in document

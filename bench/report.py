"""Turning wrk figures into the comparison table and the JSON results file."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import WrkResult

KINDS = ("completion", "stream")
TARGETS = ("direct", "heliograph")


@dataclass(frozen=True)
class Case:
    kind: str  # "completion" (1 KB JSON) or "stream" (20-chunk SSE)
    concurrency: int
    target: str  # "direct" (nginx) or "heliograph"
    result: WrkResult
    warmup_errors: int = 0

    @property
    def errors(self) -> int:
        return self.result.errors + self.warmup_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "concurrency": self.concurrency,
            "target": self.target,
            **self.result.as_dict(),
            "warmup_errors": self.warmup_errors,
        }


def _ms(us: float) -> float:
    return round(us / 1000, 3)


def comparisons(cases: list[Case]) -> list[dict[str, Any]]:
    """Heliograph against direct at the same kind and concurrency: the added latency."""
    by_key = {(c.kind, c.concurrency, c.target): c for c in cases}
    rows = []
    for kind in KINDS:
        for concurrency in sorted({c.concurrency for c in cases if c.kind == kind}):
            direct_case = by_key.get((kind, concurrency, "direct"))
            gateway_case = by_key.get((kind, concurrency, "heliograph"))
            if direct_case is None or gateway_case is None:
                continue
            direct, gateway = direct_case.result, gateway_case.result
            row: dict[str, Any] = {"kind": kind, "concurrency": concurrency}
            for pct in ("p50", "p90", "p99"):
                d, g = getattr(direct, f"{pct}_us"), getattr(gateway, f"{pct}_us")
                row[f"direct_{pct}_ms"] = _ms(d)
                row[f"heliograph_{pct}_ms"] = _ms(g)
                row[f"added_{pct}_ms"] = _ms(g - d)
            row["direct_requests_per_s"] = round(direct.requests_per_s, 1)
            row["heliograph_requests_per_s"] = round(gateway.requests_per_s, 1)
            row["errors"] = direct_case.errors + gateway_case.errors
            rows.append(row)
    return rows


def summary(cases: list[Case]) -> dict[str, Any]:
    """Peak req/s per target and kind, and how far nginx is from being the bottleneck."""
    peaks: dict[str, dict[str, float]] = {t: {} for t in TARGETS}
    for case in cases:
        best = peaks[case.target].get(case.kind, 0.0)
        peaks[case.target][case.kind] = round(max(best, case.result.requests_per_s), 1)
    headroom = {
        kind: round(peaks["direct"][kind] / peaks["heliograph"][kind], 1)
        for kind in KINDS
        if peaks["heliograph"].get(kind) and kind in peaks["direct"]
    }
    return {
        "nginx_direct_requests_per_s": peaks["direct"],
        "heliograph_requests_per_s": peaks["heliograph"],
        "nginx_headroom_x": headroom,  # direct peak / Heliograph peak; >> 1: not the bottleneck
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| kind | c | direct P50 | Heliograph P50 | added P50 | direct P99 | Heliograph P99 "
        "| added P99 | direct req/s | Heliograph req/s | errors |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        cells = [
            r["kind"],
            str(r["concurrency"]),
            *(
                f"{r[f'{who}_{pct}_ms']:.3f} ms"
                for pct in ("p50", "p99")
                for who in ("direct", "heliograph", "added")
            ),
            f"{r['direct_requests_per_s']:,.0f}",
            f"{r['heliograph_requests_per_s']:,.0f}",
            str(r["errors"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError as exc:
        return f"unavailable ({exc.strerror})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _package(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
    }


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "nginx": _first_line(["nginx", "-v"]),  # nginx prints its version on stderr
        "wrk": _first_line(["wrk", "-v"]),
        **{name: _package(name) for name in ("heliograph", "chdb", "uvicorn", "aiohttp")},
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")

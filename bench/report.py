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
TARGET_ADDED_P50_MS = 0.3  # the aim: the gateway adds under this over passthrough


@dataclass(frozen=True)
class Case:
    kind: str  # "completion" (1 KB JSON) or "stream" (20-chunk SSE)
    concurrency: int
    target: str  # one of stack.TARGETS: "direct" (nginx), "passthrough", "gateway-..."
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


def _by_key(cases: list[Case]) -> dict[tuple[str, int, str], Case]:
    return {(c.kind, c.concurrency, c.target): c for c in cases}


def _pairs(cases: list[Case], base: str, other: str) -> list[tuple[Case, Case]]:
    """(base, other) cases of the same kind and concurrency, in kind then concurrency order."""
    by_key = _by_key(cases)
    pairs = []
    for kind in KINDS:
        for concurrency in sorted({c.concurrency for c in cases if c.kind == kind}):
            a, b = by_key.get((kind, concurrency, base)), by_key.get((kind, concurrency, other))
            if a is not None and b is not None:
                pairs.append((a, b))
    return pairs


def comparisons(cases: list[Case]) -> list[dict[str, Any]]:
    """The passthrough route against direct at the same kind and concurrency."""
    rows = []
    for direct_case, proxied_case in _pairs(cases, "direct", "passthrough"):
        direct, proxied = direct_case.result, proxied_case.result
        row: dict[str, Any] = {"kind": direct_case.kind, "concurrency": direct_case.concurrency}
        for pct in ("p50", "p90", "p99"):
            d, p = getattr(direct, f"{pct}_us"), getattr(proxied, f"{pct}_us")
            row[f"direct_{pct}_ms"] = _ms(d)
            row[f"passthrough_{pct}_ms"] = _ms(p)
            row[f"added_{pct}_ms"] = _ms(p - d)
        row["direct_requests_per_s"] = round(direct.requests_per_s, 1)
        row["passthrough_requests_per_s"] = round(proxied.requests_per_s, 1)
        row["errors"] = direct_case.errors + proxied_case.errors
        rows.append(row)
    return rows


def gateway_comparisons(cases: list[Case], targets: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each gateway target against the passthrough case of the same kind and concurrency."""
    rows = []
    for target in targets:
        for base_case, gateway_case in _pairs(cases, "passthrough", target):
            base, gateway = base_case.result, gateway_case.result
            row: dict[str, Any] = {
                "target": target,
                "kind": gateway_case.kind,
                "concurrency": gateway_case.concurrency,
            }
            for pct in ("p50", "p90", "p99"):
                b, g = getattr(base, f"{pct}_us"), getattr(gateway, f"{pct}_us")
                row[f"gateway_{pct}_ms"] = _ms(g)
                row[f"passthrough_{pct}_ms"] = _ms(b)
                row[f"added_{pct}_ms"] = _ms(g - b)
            row["gateway_requests_per_s"] = round(gateway.requests_per_s, 1)
            row["passthrough_requests_per_s"] = round(base.requests_per_s, 1)
            row["added_p50_under_target"] = row["added_p50_ms"] < TARGET_ADDED_P50_MS
            row["errors"] = gateway_case.errors
            rows.append(row)
    return rows


def summary(cases: list[Case]) -> dict[str, Any]:
    """Peak req/s per target and kind, and how far nginx is from being the bottleneck."""
    peaks: dict[str, dict[str, float]] = {}
    for case in cases:
        best = peaks.setdefault(case.target, {}).get(case.kind, 0.0)
        peaks[case.target][case.kind] = round(max(best, case.result.requests_per_s), 1)
    proxied = {t: p for t, p in peaks.items() if t != "direct"}
    headroom = {}
    for kind in KINDS:
        fastest = max((p.get(kind, 0.0) for p in proxied.values()), default=0.0)
        if fastest and kind in peaks.get("direct", {}):
            headroom[kind] = round(peaks["direct"][kind] / fastest, 1)
    return {
        "peak_requests_per_s": peaks,
        # direct peak / the fastest Heliograph target's peak; >> 1: nginx is not the bottleneck
        "nginx_headroom_x": headroom,
    }


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    """Passthrough against direct."""
    head = ["kind", "c"]
    head += [f"{who} {pct}" for pct in ("P50", "P99") for who in ("direct", "passthrough", "added")]
    head += ["direct req/s", "passthrough req/s", "errors"]
    cells = [
        [
            r["kind"],
            str(r["concurrency"]),
            *(
                f"{r[f'{who}_{pct}_ms']:.3f} ms"
                for pct in ("p50", "p99")
                for who in ("direct", "passthrough", "added")
            ),
            f"{r['direct_requests_per_s']:,.0f}",
            f"{r['passthrough_requests_per_s']:,.0f}",
            str(r["errors"]),
        ]
        for r in rows
    ]
    return _markdown(head, cells)


def gateway_table(rows: list[dict[str, Any]]) -> str:
    """Each gateway target against passthrough; `added` is over passthrough."""
    head = ["route", "kind", "c", "P50", "P99", "req/s", "passthrough P50", "passthrough P99"]
    head += ["added P50", "added P99", "passthrough req/s", f"P50 < {TARGET_ADDED_P50_MS} ms"]
    head += ["errors"]
    cells = [
        [
            r["target"],
            r["kind"],
            str(r["concurrency"]),
            f"{r['gateway_p50_ms']:.3f} ms",
            f"{r['gateway_p99_ms']:.3f} ms",
            f"{r['gateway_requests_per_s']:,.0f}",
            f"{r['passthrough_p50_ms']:.3f} ms",
            f"{r['passthrough_p99_ms']:.3f} ms",
            f"{r['added_p50_ms']:+.3f} ms",
            f"{r['added_p99_ms']:+.3f} ms",
            f"{r['passthrough_requests_per_s']:,.0f}",
            "yes" if r["added_p50_under_target"] else "no",
            str(r["errors"]),
        ]
        for r in rows
    ]
    return _markdown(head, cells)


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
        "h2load": _first_line(["h2load", "--version"]),
        **{name: _package(name) for name in ("heliograph", "chdb", "uvicorn", "aiohttp")},
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")

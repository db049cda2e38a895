"""bench.features' figures: each feature against the plain call, and the limiter's growth."""

from __future__ import annotations

from typing import Any

from bench.features_cases import FeatureCase


def _ms(us: float) -> float:
    return round(us / 1000, 3)


def comparisons(cases: list[FeatureCase]) -> list[dict[str, Any]]:
    """Every ratelimit and cache-hit case against the plain case of its backend, kind and
    concurrency, from the same Heliograph process."""
    plain = {(c.backend, c.kind, c.concurrency): c for c in cases if c.feature == "plain"}
    rows = []
    for case in cases:
        base = plain.get((case.backend, case.kind, case.concurrency))
        if case.feature == "plain" or base is None:
            continue
        got, ref = case.result, base.result
        row: dict[str, Any] = {
            "backend": case.backend,
            "feature": case.feature,
            "kind": case.kind,
            "concurrency": case.concurrency,
        }
        for pct in ("p50", "p90", "p99"):
            g, b = getattr(got, f"{pct}_us"), getattr(ref, f"{pct}_us")
            row[f"{pct}_ms"] = _ms(g)
            row[f"plain_{pct}_ms"] = _ms(b)
            row[f"added_{pct}_ms"] = _ms(g - b)
        row["requests_per_s"] = round(got.requests_per_s, 1)
        row["plain_requests_per_s"] = round(ref.requests_per_s, 1)
        ratio = got.requests_per_s / ref.requests_per_s if ref.requests_per_s else 0.0
        row["requests_per_s_ratio"] = round(ratio, 3)  # with the feature / plain
        if case.feature == "cache-hit":
            # the issue: a hit must cost less than a miss, which costs more than plain
            row["hit_cheaper_than_plain"] = got.p50_us < ref.p50_us and ratio > 1
        else:
            row["window_requests"] = case.window_requests
        row["errors"] = case.errors + base.errors
        rows.append(row)
    return rows


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    head = ["backend", "feature", "kind", "c", "P50", "P99", "req/s", "plain P50", "plain P99"]
    head += ["plain req/s", "added P50", "added P99", "req/s ratio", "note", "errors"]
    cells = []
    for r in rows:
        if r["feature"] == "cache-hit":
            note = "hit cheaper" if r["hit_cheaper_than_plain"] else "HIT NOT CHEAPER"
        else:
            note = f"window {r['window_requests']:,} calls"
        cells.append(
            [
                r["backend"],
                r["feature"],
                r["kind"],
                str(r["concurrency"]),
                f"{r['p50_ms']:.3f} ms",
                f"{r['p99_ms']:.3f} ms",
                f"{r['requests_per_s']:,.0f}",
                f"{r['plain_p50_ms']:.3f} ms",
                f"{r['plain_p99_ms']:.3f} ms",
                f"{r['plain_requests_per_s']:,.0f}",
                f"{r['added_p50_ms']:+.3f} ms",
                f"{r['added_p99_ms']:+.3f} ms",
                f"{r['requests_per_s_ratio']:.2f}x",
                note,
                str(r["errors"]),
            ]
        )
    return _markdown(head, cells)


def growth_table(rows: list[dict[str, Any]]) -> str:
    head = ["backend", "slice", "c", "window at start", "window at end", "req/s", "P50", "P99"]
    cells = [
        [
            r["backend"],
            str(r["slice"]),
            str(r["concurrency"]),
            f"{r['window_requests_at_start']:,}",
            f"{r['window_requests_at_end']:,}",
            f"{r['requests_per_s']:,.0f}",
            f"{r['p50_us'] / 1000:.3f} ms",
            f"{r['p99_us'] / 1000:.3f} ms",
        ]
        for r in rows
    ]
    return _markdown(head, cells)

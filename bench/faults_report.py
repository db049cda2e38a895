"""bench.faults' bookkeeping: which calls were stored (read from the store after the server
stopped), counted by answer and by fault window, the server's RSS and descriptors first vs
last, and the report as JSON and markdown.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bench.faults_load import NO_ANSWER, CallRecord, Sample
from heliograph.store.chdb_engine import ChdbEngine

# Raw rows, not a request's newest version: a request stored twice shows as two rows (until
# a background merge of the ReplacingMergeTree folds them, which this cannot see).
_STORED = (
    "SELECT toString(request_id) AS id, count() AS copies "
    "FROM request_response_rmt GROUP BY request_id"
)


def stored_copies(store_dir: Path) -> dict[str, int]:
    """Rows per request id in a stopped server's chDB directory."""

    async def read() -> list[dict[str, Any]]:
        engine = ChdbEngine(store_dir)
        await engine.open()
        try:
            rows: list[dict[str, Any]] = await engine.select(_STORED)
            return rows
        finally:
            await engine.close()

    return {row["id"]: int(row["copies"]) for row in asyncio.run(read())}


def _answer(record: CallRecord) -> str:
    if 200 <= record.status < 300:
        return "2xx"
    if record.status == 503:
        return "503"
    return "no answer" if record.status == NO_ANSWER else str(record.status)


def _tally(records: list[CallRecord], copies: dict[str, int]) -> dict[str, Any]:
    """Logged calls by answer, each split by how many times it was stored."""
    by_answer: dict[str, Counter[str]] = {}
    for record in records:
        stored = copies.get(record.request_id, 0)
        state = {0: "missing", 1: "stored once"}.get(stored, "stored twice or more")
        by_answer.setdefault(_answer(record), Counter())[state] += 1
    return {answer: dict(states) for answer, states in sorted(by_answer.items())}


def _window_rows(records: list[CallRecord], copies: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for window in dict.fromkeys(r.window for r in records):  # in the order first seen
        mine = [r for r in records if r.window == window]
        logged_2xx = [r for r in mine if r.logged and _answer(r) == "2xx"]
        answers = Counter(_answer(r) for r in mine)
        rows.append(
            {
                "window": window,
                "calls": len(mine),
                "answers": dict(sorted(answers.items())),
                "logged_2xx": len(logged_2xx),
                "logged_2xx_missing": sum(copies.get(r.request_id, 0) == 0 for r in logged_2xx),
                "logged_2xx_twice": sum(copies.get(r.request_id, 0) > 1 for r in logged_2xx),
                "logged_503_stored": sum(
                    copies.get(r.request_id, 0) > 0 for r in mine if r.logged and r.status == 503
                ),
            }
        )
    return rows


def _first_last(samples: list[Sample]) -> dict[str, Any]:
    """Medians of the first and the last tenth (at least 3 samples) of the steady samples:
    during a fault the server holds what the fault gave it (idle sockets, say)."""
    steady = [s for s in samples if s.window == "steady"]
    if not steady:
        return {}
    size = max(3, len(steady) // 10)
    first, last = steady[:size], steady[-size:]
    result: dict[str, Any] = {"steady_samples": len(steady), "slice_samples": size}
    for name in ("rss_mib", "open_fds"):
        a = statistics.median(getattr(s, name) for s in first)
        b = statistics.median(getattr(s, name) for s in last)
        result[name] = {"first": a, "last": b, "growth": round(b - a, 1)}
    result["server_starts"] = samples[-1].start
    return result


def _server_by_window(samples: list[Sample]) -> list[dict[str, Any]]:
    """Per window: median RSS and descriptors, and how often /healthz answered each status."""
    rows = []
    for window in dict.fromkeys(s.window for s in samples):
        mine = [s for s in samples if s.window == window]
        rows.append(
            {
                "window": window,
                "rss_mib": statistics.median(s.rss_mib for s in mine),
                "open_fds": statistics.median(s.open_fds for s in mine),
                "healthz": dict(sorted(Counter(s.healthz for s in mine).items())),
            }
        )
    return rows


def summarize(
    records: list[CallRecord], copies: dict[str, int], samples: list[Sample]
) -> dict[str, Any]:
    logged = [r for r in records if r.logged]
    tally = _tally(logged, copies)
    ok = tally.get("2xx", {})
    summary = {
        "calls": len(records),
        "logged_calls": tally,
        "reads": dict(sorted(Counter(_answer(r) for r in records if not r.logged).items())),
        "stored_rows_total": sum(copies.values()),
        "windows": _window_rows(records, copies),
        "server": _first_last(samples),
        "server_by_window": _server_by_window(samples),
    }
    problems = []
    if ok.get("missing"):
        problems.append(f"{ok['missing']} calls answered 2xx were never stored")
    if ok.get("stored twice or more"):
        problems.append(f"{ok['stored twice or more']} calls answered 2xx were stored twice")
    summary["problems"] = problems
    return summary


def _table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _server_table(server: dict[str, Any]) -> str:
    if not server:
        return "no samples"
    rows = [
        [name, server[name]["first"], server[name]["last"], server[name]["growth"]]
        for name in ("rss_mib", "open_fds")
    ]
    table = _table(["", "first", "last", "growth"], rows)
    starts = server["server_starts"]
    return f"{table}\n\nSteady samples only. Server starts: {starts} (the kill fault adds one)."


def markdown(document: dict[str, Any]) -> str:
    """The report a person reads: verdict, logged calls, windows, the server over time."""
    summary = document["summary"]
    verdict = "OK" if document["ok"] else "FAILED: " + "; ".join(document["problems"])
    parts = [
        f"# bench.faults ({document['mode']}, {document['minutes']} min): {verdict}",
        f"{summary['calls']} calls; {summary['stored_rows_total']} rows stored.",
        "## Logged calls (proxied) by answer and storage",
        _table(
            ["answer", "stored once", "missing", "stored twice or more"],
            [
                [a, s.get("stored once", 0), s.get("missing", 0), s.get("stored twice or more", 0)]
                for a, s in summary["logged_calls"].items()
            ],
        ),
        f"Reads (REST, HQL) by answer: {summary['reads']}",
        "## Per window",
        _table(
            ["window", "calls", "answers", "2xx logged", "missing", "twice", "503 stored"],
            [
                [
                    w["window"],
                    w["calls"],
                    w["answers"],
                    w["logged_2xx"],
                    w["logged_2xx_missing"],
                    w["logged_2xx_twice"],
                    w["logged_503_stored"],
                ]
                for w in summary["windows"]
            ],
        ),
        "## Fault windows",
        _table(
            ["fault", "from s", "to s", "details"],
            [[w["name"], w["began_s"], w["ended_s"], w["details"]] for w in document["faults"]],
        ),
        "## Server, first vs last tenth of the run (medians)",
        _server_table(summary["server"]),
        "## Server per window (medians; /healthz statuses, 0: no answer)",
        _table(
            ["window", "RSS MiB", "open fds", "/healthz"],
            [
                [w["window"], w["rss_mib"], w["open_fds"], w["healthz"]]
                for w in summary["server_by_window"]
            ],
        ),
        f"Log pipeline after the drain: {document['log_pipeline']}",
    ]
    pipeline = document["log_pipeline"]
    if not pipeline.get("drained"):
        parts.append(
            f"Not drained within {document['plan']['drain_timeout_s']:.0f} s: "
            f"{pipeline.get('backlog_rows', '?')} rows were still in the spool backlog. "
            "Heliograph replays its spool when it starts, so a restart may store them; here "
            "they count as missing, as they were when the server stopped."
        )
    return "\n\n".join(parts) + "\n"

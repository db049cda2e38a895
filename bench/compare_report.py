"""bench.compare's figures side by side: the comparison rows, the issue's targets, Heliograph
against the bare relay, and the Markdown report (bench/results/latest.md)."""

from __future__ import annotations

from typing import Any

from bench import stack

PEERS = ("litellm", "portkey")
PCTS = ("p50", "p90", "p99")
# The bare relay as issue 10 measured it (on a faster machine) when setting the targets.
ISSUE_BARE_C16_REQUESTS_PER_S = 7_700
ISSUE_BARE_C1_ADDED_P50_MS = 0.27
TARGET_C16_REQUESTS_PER_S = 4_000
TARGET_C1_ADDED_P50_MS = 0.35


def _ms(us: float) -> float:
    return round(us / 1000, 3)


def _key(case: dict[str, Any]) -> tuple[str, str, int]:
    return case["kind"], case["mode"], case["concurrency"]


def comparisons(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per kind, mode and concurrency: every system's figures, its latency added
    over direct under the same load, and Heliograph's requests/s over each peer's."""
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    for case in document["cases"]:
        row = rows.setdefault(
            _key(case),
            {"kind": case["kind"], "mode": case["mode"], "concurrency": case["concurrency"]},
        )
        row["rate"] = case["rate"]
        answered = case["requests"] > 0  # no latency figures from a case without answers
        row.setdefault("systems", {})[case["system"]] = {
            "requests_per_s": case["requests_per_s"],
            **{f"{p}_ms": _ms(case[f"{p}_us"]) if answered else None for p in PCTS},
            "cpu_seconds_per_1000_requests": case["cpu_seconds_per_1000_requests"],
            "rss_peak_mib": case["rss_peak_mib"],
            "overloaded": case["overloaded"],
            "errors": case["errors"],
        }
    for row in rows.values():
        figures = row["systems"]
        direct = figures.get("direct")
        for name, own in figures.items():
            if direct is not None and name != "direct" and own["p50_ms"] is not None:
                for p in PCTS:
                    own[f"added_{p}_ms"] = round(own[f"{p}_ms"] - direct[f"{p}_ms"], 3)
        ours = figures.get("heliograph", {}).get("requests_per_s")
        row["heliograph_over"] = {
            peer: round(ours / figures[peer]["requests_per_s"], 2)
            for peer in PEERS
            if ours and figures.get(peer, {}).get("requests_per_s")
        }
    return list(rows.values())


def _row(document: dict[str, Any], kind: str, mode: str, concurrency: int) -> dict[str, Any]:
    for row in document["comparison"]:
        if (row["kind"], row["mode"], row["concurrency"]) == (kind, mode, concurrency):
            return dict(row["systems"])
    return {}


def _ttft_added(document: dict[str, Any], name: str, pct: str) -> float | None:
    systems = document["systems"]
    if name == "direct":
        return None
    own, direct = systems.get(name, {}).get("ttft", {}), systems.get("direct", {}).get("ttft", {})
    if not own.get("streams") or not direct.get("streams"):
        return None
    added: float = own[f"ttft_{pct}_us"] - direct[f"ttft_{pct}_us"]
    return round(added / 1000, 3)


def targets(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 10's targets for one Heliograph worker with full logging, as measured here."""
    c16 = _row(document, "completion", "closed", 16)
    c1 = _row(document, "completion", "closed", 1)
    open_loop = _row(document, "completion", "open", 0)
    ours = c16.get("heliograph", {}).get("requests_per_s")
    streams = max(
        (c["requests_per_s"] for c in document["cases"] if c["system"] == "heliograph"
         and c["kind"] == "stream" and c["mode"] == "closed"),
        default=None,
    )  # fmt: skip
    checks: list[tuple[str, Any, Any]] = [
        ("completions/s at c=16 >= 4,000", ours, ours and ours >= 4000),
    ]
    for peer, factor in (("litellm", 10), ("portkey", 1)):
        theirs = c16.get(peer, {}).get("requests_per_s")
        if ours and theirs:
            label = f"c=16 requests/s >= {factor}x {peer}"
            checks.append((label, f"{ours / theirs:.2f}x", ours >= factor * theirs))
    added_p50 = c1.get("heliograph", {}).get("added_p50_ms")
    checks.append(("added P50 at c=1 <= 0.35 ms", added_p50, _under(added_p50, 0.35)))
    added_p99 = open_loop.get("heliograph", {}).get("added_p99_ms")
    checks.append(("open-loop added P99 <= 2 ms", added_p99, _under(added_p99, 2.0)))
    checks.append(("streams/s (20 chunks) >= 3,000", streams, streams and streams >= 3000))
    ttft = _ttft_added(document, "heliograph", "p50")
    checks.append(("added TTFT P50 <= 0.5 ms", ttft, _under(ttft, 0.5)))
    soak = document.get("soak")
    if soak and "rss_growth_pct_same_kind" in soak:
        growth = soak["rss_growth_pct_same_kind"]
        checks.append(
            ("RSS flat over the soak (< 5% growth, slices of one kind)", f"{growth}%", growth < 5)
        )
    return [
        {"target": label, "measured": value, "met": None if value is None else bool(met)}
        for label, value, met in checks
    ]


def against_bare(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Heliograph's closed-loop figures next to the bare relay's, row by row, and its
    requests/s as a fraction of the relay's; empty when either was not measured."""
    rows = []
    for row in document["comparison"]:
        ours, bare = row["systems"].get("heliograph"), row["systems"].get("bare")
        if row["mode"] != "closed" or ours is None or bare is None:
            continue
        rows.append(
            {
                "kind": row["kind"],
                "concurrency": row["concurrency"],
                "bare_requests_per_s": bare["requests_per_s"],
                "heliograph_requests_per_s": ours["requests_per_s"],
                "heliograph_over_bare": round(ours["requests_per_s"] / bare["requests_per_s"], 3)
                if bare["requests_per_s"]
                else None,
                "bare_added_p50_ms": bare.get("added_p50_ms"),
                "heliograph_added_p50_ms": ours.get("added_p50_ms"),
            }
        )
    return rows


def _under(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _names(document: dict[str, Any]) -> list[str]:
    return list(document["systems"])


def _closed_tables(document: dict[str, Any]) -> list[str]:
    names = _names(document)
    peers = [p for p in PEERS if p in names]
    closed = [r for r in document["comparison"] if r["mode"] == "closed"]
    throughput = [
        [r["kind"], str(r["concurrency"])]
        + [_fmt(r["systems"].get(n, {}).get("requests_per_s"), ",.0f") for n in names]
        + [_fmt(r["heliograph_over"].get(p), ".2f", "x") for p in peers]
        for r in closed
    ]
    added = [
        [r["kind"], str(r["concurrency"])]
        + [_added(r["systems"].get(n, {})) for n in names if n != "direct"]
        + [" / ".join(_fmt(r["systems"].get("direct", {}).get(f"{p}_ms"), ".3f") for p in PCTS)]
        for r in closed
    ]
    return [
        "## Throughput, closed loop (wrk): requests/s",
        _table(["kind", "c", *names, *(f"Heliograph / {p}" for p in peers)], throughput),
        "## Added latency, closed loop: system minus direct at the same load, P50 / P90 / P99 ms",
        _table(["kind", "c", *(n for n in names if n != "direct"), "direct itself"], added),
    ]


def _added(figures: dict[str, Any]) -> str:
    if "added_p50_ms" not in figures:
        return "-"
    return " / ".join(f"{figures[f'added_{p}_ms']:+.3f}" for p in PCTS)


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _open_table(document: dict[str, Any]) -> list[str]:
    rows = []
    for r in document["comparison"]:
        if r["mode"] != "open":
            continue
        for name in _names(document):
            f = r["systems"].get(name)
            if f is None:
                continue
            rows.append(
                [r["kind"], f"{r['rate']:,.0f}", name, f"{f['requests_per_s']:,.0f}",
                 " / ".join(_fmt(f[f"{p}_ms"], ".3f") for p in PCTS), _added(f),
                 "OVERLOADED" if f["overloaded"] else "kept up"]
            )  # fmt: skip
    head = ["kind", "rate asked", "system", "achieved req/s", "P50 / P90 / P99 ms"]
    head += ["added P50 / P90 / P99 ms", ""]
    return [
        "## Open loop (h2load) at half Heliograph's best closed-loop rate",
        "An overloaded system could not answer the rate; h2load then times each request from "
        "when it was sent, not when it was due, so its latencies understate the wait.",
        _table(head, rows),
    ]


def _systems_table(document: dict[str, Any]) -> list[str]:
    rows = []
    for name, s in document["systems"].items():
        t = s.get("ttft", {})
        ttft = " / ".join(_fmt(t.get(f"ttft_{p}_us", 0) / 1000, ".3f") for p in PCTS)
        added = [_ttft_added(document, name, p) for p in ("p50", "p99")]
        rows.append(
            [name, ttft, " / ".join(_fmt(a, "+.3f") for a in added),
             _fmt(t.get("total_p50_us", 0) / 1000, ".3f"), f"{s['rss_start_mib']:.0f}",
             f"{s['rss_peak_mib']:.0f}", f"{s['cpu_seconds_per_1000_requests']:.3f}"]
        )  # fmt: skip
    head = ["system", "TTFT P50 / P90 / P99 ms", "added TTFT P50 / P99 ms", "whole stream P50 ms"]
    head += ["RSS after check MiB", "peak RSS MiB", "CPU s / 1,000 requests"]
    return [
        "## Streams one at a time (TTFT), memory and CPU",
        "TTFT: request sent to first `data:` event received. RSS and CPU: the system's whole "
        "process tree from /proc (for direct: nginx); CPU averaged over the closed-loop cases.",
        _table(head, rows),
    ]


def _bare_section(document: dict[str, Any]) -> list[str]:
    rows = document.get("against_bare") or []
    if not rows:
        return []
    table = [
        [r["kind"], str(r["concurrency"]), _fmt(r["bare_requests_per_s"], ",.0f"),
         _fmt(r["heliograph_requests_per_s"], ",.0f"), _fmt(r["heliograph_over_bare"], ".0%"),
         f"{_fmt(r['bare_added_p50_ms'], '+.3f')} / {_fmt(r['heliograph_added_p50_ms'], '+.3f')}"]
        for r in rows
    ]  # fmt: skip
    head = ["kind", "c", "bare req/s", "Heliograph req/s", "Heliograph / bare"]
    head += ["added P50 ms: bare / Heliograph"]
    found = {(r["kind"], r["concurrency"]): r for r in rows}
    c16, c1 = found.get(("completion", 16), {}), found.get(("completion", 1), {})
    rate_share = TARGET_C16_REQUESTS_PER_S / ISSUE_BARE_C16_REQUESTS_PER_S
    latency_factor = TARGET_C1_ADDED_P50_MS / ISSUE_BARE_C1_ADDED_P50_MS
    bare_rate, bare_added = c16.get("bare_requests_per_s"), c1.get("bare_added_p50_ms")
    scaled_rate = None if bare_rate is None else bare_rate * rate_share
    scaled_added = None if bare_added is None else bare_added * latency_factor
    return [
        "## Against the bare relay (Python's floor on this machine)",
        "bench.bare_relay: a raw ASGI app on uvicorn (uvloop, httptools, one worker) relaying "
        "through one pooled aiohttp session, with no logging and no parsing, on the same core "
        "as Heliograph. Issue 10's targets were set against such a relay measured on a faster "
        f"machine ({ISSUE_BARE_C16_REQUESTS_PER_S:,} req/s at c=16, "
        f"{ISSUE_BARE_C1_ADDED_P50_MS} ms added P50 at c=1): "
        f"{TARGET_C16_REQUESTS_PER_S:,} req/s is {rate_share:.0%} of that rate, "
        f"{TARGET_C1_ADDED_P50_MS} ms {latency_factor:.1f}x that latency. The same shares of "
        f"this run's bare relay: {_fmt(scaled_rate, ',.0f')} req/s at c=16, "
        f"{_fmt(scaled_added, '.3f')} ms added P50 at c=1.",
        _table(head, table),
    ]


def _heliograph_section(document: dict[str, Any]) -> list[str]:
    pipeline = document.get("log_pipeline")
    if not pipeline:
        return []
    served = document["systems"]["heliograph"]["requests_served"]
    rows = [
        [c["kind"], c["mode"], str(c["concurrency"] or f"{c['rate']:,.0f}/s"),
         f"{c['pipeline']['rows_stored_per_s']:,.0f}", str(c["pipeline"]["unstored_at_load_end"]),
         f"{c['pipeline']['drain_seconds']:.2f}",
         f"{c['pipeline']['backlog_segments_before']} -> {c['pipeline']['backlog_segments_after']}"]
        for c in document["cases"]
        if c["system"] == "heliograph" and c["pipeline"]
    ]  # fmt: skip
    head = ["kind", "mode", "c / rate", "rows stored/s (load + drain)", "unstored at load end"]
    head += ["drain s", "backlog segments"]
    return [
        "## Heliograph's log pipeline (chDB)",
        f"Rows stored: **{stack.rows_stored(pipeline):,}** of "
        f"{pipeline['submitted']:,} submitted ({pipeline['replayed']:,} of them replayed from "
        f"the spool), requests served {served:,}; drained: {pipeline['drained']}.",
        _table(head, rows),
    ]


def _soak_section(document: dict[str, Any]) -> list[str]:
    soak = document.get("soak")
    if not soak:
        return []
    return [
        "## RSS soak",
        f"{soak['seconds']} s at c={soak['connections']}: RSS {soak['rss_start_mib']} MiB after "
        f"the first slice, {soak['rss_end_mib']} MiB at the end ({soak['rss_growth_mib']:+} MiB, "
        f"{soak['rss_growth_pct']:+}%), {soak['requests']:,} requests.",
        *(
            f"- {kind} slices, median RSS: {k['first_mib']} MiB in the first, {k['last_mib']} MiB "
            f"in the last ({k['growth_pct']:+}%)"
            for kind, k in soak.get("rss_growth_by_kind", {}).items()
        ),
    ]


def _query_section(document: dict[str, Any]) -> list[str]:
    query = document.get("query")
    if not query:
        return []
    if "error" in query:
        return ["## Query benchmark (bench.query)", f"Failed: {query['error']}"]
    rows = [
        [section, name, f"{f['p50_ms']:.1f}", f"{f['p99_ms']:.1f}", str(f["rows_returned"])]
        for section in ("queries", "metrics")
        for name, f in query.get(section, {}).items()
    ]
    return [
        "## Query benchmark (bench.query)",
        f"{query.get('total_rows', 0):,} rows ({query.get('rows_per_org', 0):,} in the "
        f"measured org), loaded in {query.get('load_seconds')} s.",
        _table(["section", "query", "P50 ms", "P99 ms", "rows"], rows),
    ]


def markdown(document: dict[str, Any]) -> str:
    settings, load = document["settings"], document["load_average_1_5_15_min"]
    fake = document.get("fake_provider", {})
    noisy = document["mode"] != "full" or load["start"][0] > 0.5
    parts = [
        f"# Heliograph against its peers: {document['mode']} run, {document['started_at']}",
        *(
            [
                f"**Noisy figures**: load average {load['start'][0]:.2f} at the start "
                f"({document['machine']['nproc']} CPUs), {settings['seconds_per_case']} s cases. "
                "Compare only figures from one quiet run."
            ]
            if noisy
            else []
        ),
        f"{settings['seconds_per_case']} s per case after {settings['warmup_seconds_per_case']} s "
        f"of warm-up; load: {settings['load_generator']}; Heliograph route: "
        f"{settings['heliograph_route']}; total {document.get('wall_seconds', '?')} s. "
        f"CPU: {document['machine']['cpu_model']}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in document["versions"].items()),
        f"Fake provider: {fake.get('kind')}; alone on one core: completions "
        f"{_fmt(fake.get('completion_requests_per_s_one_core'), ',')} req/s, streams "
        f"{_fmt(fake.get('stream_requests_per_s_one_core'), ',')} req/s.",
        *_closed_tables(document),
        *_open_table(document),
        *_systems_table(document),
        *_heliograph_section(document),
        *_soak_section(document),
        *_query_section(document),
        *_bare_section(document),
        "## Issue 10's targets (one Heliograph worker, full logging)",
        _table(
            ["target", "measured", "met"],
            [
                [
                    t["target"],
                    "-" if t["measured"] is None else str(t["measured"]),
                    {True: "yes", False: "NO", None: "not measured"}[t["met"]],
                ]
                for t in document["targets"]
            ],
        ),
    ]
    if document["problems"]:
        parts += ["## Problems (the run failed)", *(f"- {p}" for p in document["problems"])]
    return "\n\n".join(parts) + "\n"

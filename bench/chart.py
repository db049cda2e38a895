"""bench.compare's chart (bench/results/latest.png): requests/s per system for each closed-loop
case, and the latency each system adds over direct (P50 and P99) at the same load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {
    "direct": "#9e9e9e",
    "bare": "#5b8c5a",
    "heliograph": "#f4a300",
    "litellm": "#4a7fb5",
    "portkey": "#7b5ea7",
}


def draw(document: dict[str, Any], path: Path) -> str:
    """Write the PNG; returns its path, or why it was not drawn (matplotlib is a dev extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "not drawn: matplotlib is not installed (pip install -e '.[dev]')"
    rows = document["comparison"]
    closed = [r for r in rows if r["mode"] == "closed"]
    labelled = closed + [r for r in rows if r["mode"] == "open"]
    names = list(document["systems"])
    proxies = [n for n in names if n != "direct"]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(12, 9))
    width = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        xs = [i + index * width for i in range(len(closed))]
        values = [r["systems"].get(name, {}).get("requests_per_s", 0) for r in closed]
        top.bar(xs, values, width, label=name, color=COLOURS.get(name))
    top.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(closed))])
    top.set_xticklabels([f"{r['kind']}\nc={r['concurrency']}" for r in closed])
    top.set_yscale("log")
    top.set_ylabel("requests/s (log scale)")
    top.set_title("Closed loop (wrk): requests/s, one core for the system under test")
    top.legend()
    width = 0.8 / max(1, len(proxies))
    for index, name in enumerate(proxies):
        xs = [i + index * width for i in range(len(labelled))]
        p50 = [r["systems"].get(name, {}).get("added_p50_ms", 0) for r in labelled]
        p99 = [r["systems"].get(name, {}).get("added_p99_ms", 0) for r in labelled]
        colour = COLOURS.get(name)
        bottom.bar(xs, p99, width, color=colour, alpha=0.35, label=f"{name} P99")
        bottom.bar(xs, p50, width, color=colour, label=f"{name} P50")
    bottom.set_xticks([i + width * (len(proxies) - 1) / 2 for i in range(len(labelled))])
    bottom.set_xticklabels(
        [
            f"{r['kind']}\n" + (f"c={r['concurrency']}" if r["mode"] == "closed" else "open")
            for r in labelled
        ]
    )
    bottom.set_yscale("symlog", linthresh=1)
    bottom.set_ylabel("added ms over direct (symlog)")
    bottom.set_title("Latency added over calling the fake provider directly, same load")
    bottom.legend(ncol=max(1, len(proxies)), fontsize="small")
    mode = document["mode"]
    figure.suptitle(f"Heliograph benchmark ({mode} run, {document['started_at']})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return str(path)

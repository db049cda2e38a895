"""Query latency over many stored requests in the embedded store.

    python -m bench.query                # 1,000,000 rows of the measured org among 3 orgs
    python -m bench.query --rows 200000  # a smaller run
    python -m bench.query --metrics-10m  # then grow the measured org to 10,000,000 rows

Rows are generated inside chDB (INSERT ... SELECT FROM numbers()), so set-up takes
seconds. As in real use, a few requests changed after they were logged: 0.2% of each org's
rows get a version row (0.1% a feedback score, 0.1% a property update), so readers must
pick newest versions (store/newest.py) over realistic data. Then each typical filter of the
request query API runs through the real compiler and `query_requests` (newest versions,
org-scoped, newest 100) several times, and so do the metrics API's dashboard queries
(bench/query_metrics.py). Prints P50/P99 per query and writes
bench/results/query-latest.json. With --metrics-10m the metrics queries are timed again
after the measured organization grows to 10,000,000 rows (0.2% of the new rows changed
too), with the P50 growth ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.query_metrics import growth, time_metrics
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.requests import query_requests
from heliograph.store.schema import apply_migrations

RESULTS = Path(__file__).parent / "results" / "query-latest.json"
ORGS = [str(uuid.uuid4()) for _ in range(3)]

# Every org gets `rows` requests spread evenly over the last 30 days (a hash of the row
# number picks the moment, so any row count covers the whole month) with realistic
# properties and bodies: one in three streamed (with a time to first token), one in 20 a
# cache hit, the 429s rate limited.
_GENERATE = """
INSERT INTO request_response_rmt
    (request_id, organization_id, request_created_at, response_created_at, status, latency,
     model, provider, user_id, prompt_tokens, completion_tokens, cost, properties,
     request_body, response_body, updated_at, time_to_first_token, cache_reference_id,
     cache_enabled, cache_saved_cost, rate_limited)
SELECT
    generateUUIDv4(number),
    {org:UUID},
    created,
    created + toIntervalMillisecond(300 + number % 2000),
    [200, 200, 200, 200, 200, 200, 200, 200, 429, 500][1 + number % 10],
    300 + number % 2000,
    ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet-20241022', 'gpt-4.1-mini'][1 + number % 4],
    ['OPENAI', 'OPENAI', 'ANTHROPIC', 'OPENAI'][1 + number % 4],
    concat('user-', toString(number % 5000)),
    100 + number % 900,
    20 + number % 300,
    if(number % 20 = 7, 0, (number % 1000) * 1000),
    map('Environment', ['production', 'staging', 'development'][1 + number % 3],
        'App', ['web', 'mobile', 'api', 'batch'][1 + intDiv(number, 3) % 4],
        'Conversation', concat('conv-', toString(number % 20000))),
    concat('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"question ',
           toString(number), '"}]}'),
    concat('{"choices":[{"message":{"content":"answer ', toString(number), '"}}]}'),
    now64(3),
    if(intDiv(number, 5) % 3 = 0, toNullable(toInt64(100 + number % 700)), NULL),
    if(number % 20 = 7, generateUUIDv4(number + 1), toUUID('00000000-0000-0000-0000-000000000000')),
    number % 20 = 7,
    if(number % 20 = 7, (number % 1000) * 1000, 0),
    number % 10 = 8
FROM (
    SELECT number, now64(3) - toIntervalMillisecond(cityHash64(number) % 2592000000) AS created
    FROM numbers({first:UInt64}, {rows:UInt64})
)
"""
# Version rows, as store/row_versions.py writes them, for 0.2% of the rows logged after
# `since`: a feedback score on one half, a property update on the other.
_CHANGE = """
INSERT INTO request_response_rmt
SELECT * REPLACE (
    if(cityHash64(request_id) % 1000 = 0,
       mapUpdate(scores, CAST(map('helicone-score-feedback', 1),
                              'Map(LowCardinality(String), Int64)')),
       scores) AS scores,
    if(cityHash64(request_id) % 1000 = 1,
       mapUpdate(properties, CAST(map('Reviewed', 'yes'), 'Map(LowCardinality(String), String)')),
       properties) AS properties,
    updated_at + toIntervalMillisecond(1) AS updated_at,
    row_version + 1 AS row_version)
-- In a subquery: outside it, `row_version` and `updated_at` would mean the REPLACE aliases.
FROM (
    SELECT * FROM request_response_rmt
    WHERE organization_id = {org:UUID} AND row_version = 0
      AND toUnixTimestamp64Milli(updated_at) > {since:Int64}
      AND cityHash64(request_id) % 1000 < 2
)
"""
LARGE_ROWS = 10_000_000

FILTERS: dict[str, Any] = {
    "all (newest 100)": "all",
    "property equals": {
        "request_response_rmt": {"properties": {"Environment": {"equals": "production"}}}
    },
    "property AND property": {
        "left": {"request_response_rmt": {"properties": {"Environment": {"equals": "staging"}}}},
        "operator": "and",
        "right": {"request_response_rmt": {"properties": {"App": {"equals": "mobile"}}}},
    },
    "rare property value": {
        "request_response_rmt": {"properties": {"Conversation": {"equals": "conv-12345"}}}
    },
    "last 24h AND model AND user": {
        "left": {
            "left": {"request_response_rmt": {"request_created_at": {"gte": "__DAY_AGO__"}}},
            "operator": "and",
            "right": {"request_response_rmt": {"model": {"contains": "gpt-4o"}}},
        },
        "operator": "and",
        "right": {"request_response_rmt": {"user_id": {"equals": "user-41"}}},
    },
}


def _resolve(node: Any, day_ago: str) -> Any:
    return json.loads(json.dumps(node).replace("__DAY_AGO__", day_ago))


async def _generate(engine: ChdbEngine, org: str, first: int, rows: int) -> int:
    """Log `rows` requests of `org` and change 0.2% of them; return how many changed."""
    since = await engine.select(
        "SELECT max(toUnixTimestamp64Milli(updated_at)) AS t FROM request_response_rmt "
        "WHERE organization_id = {org:UUID}",
        {"org": org},
    )
    await engine.execute(_GENERATE, {"org": org, "first": first, "rows": rows})
    await engine.execute(_CHANGE, {"org": org, "since": since[0]["t"]})
    changed = await engine.select(
        "SELECT count() AS n FROM request_response_rmt WHERE organization_id = {org:UUID} "
        "AND row_version > 0 AND toUnixTimestamp64Milli(updated_at) > {since:Int64}",
        {"org": org, "since": since[0]["t"]},
    )
    return int(changed[0]["n"])


async def run(rows: int, repeats: int, large: bool = False) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="heliograph-query-bench-"))
    engine = ChdbEngine(directory / "ch")
    try:
        await engine.open()
        await apply_migrations(engine)
        started = time.perf_counter()
        changed = [await _generate(engine, org, 0, rows) for org in ORGS]
        load_s = time.perf_counter() - started
        day_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
        results: dict[str, Any] = {}
        for name, node in FILTERS.items():
            resolved = _resolve(node, day_ago)
            await query_requests(engine, ORGS[0], resolved)  # warm-up
            timings = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                found = await query_requests(engine, ORGS[0], resolved)
                timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 1),
                "rows_returned": len(found),
            }
        report: dict[str, Any] = {
            "rows_per_org": rows,
            "orgs": len(ORGS),
            "total_rows": rows * len(ORGS),
            "load_seconds": round(load_s, 1),
            "changed_in_org": changed[0],
            "repeats": repeats,
            "queries": results,
            "metrics": await time_metrics(engine, ORGS[0], repeats),
        }
        if large and rows < LARGE_ROWS:
            started = time.perf_counter()
            more = await _generate(engine, ORGS[0], rows, LARGE_ROWS - rows)
            report["large_rows_in_org"] = LARGE_ROWS
            report["large_changed_in_org"] = changed[0] + more
            report["large_load_seconds"] = round(time.perf_counter() - started, 1)
            report["metrics_large"] = await time_metrics(engine, ORGS[0], repeats)
            report["metrics_growth_p50"] = growth(report["metrics"], report["metrics_large"])
        return report
    finally:
        await engine.close()
        shutil.rmtree(directory, ignore_errors=True)


def _print_metrics(figures: dict[str, Any], size: str) -> None:
    print(f"{'metrics query, ' + size + ' in the org':40} {'P50 ms':>8} {'P99 ms':>8} {'rows':>8}")
    for name, row in figures.items():
        print(f"{name:40} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['rows_returned']:8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per organization")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--metrics-10m",
        action="store_true",
        help=f"also time the metrics queries with {LARGE_ROWS:,} rows in the measured org",
    )
    args = parser.parse_args()
    report = asyncio.run(run(args.rows, args.repeats, args.metrics_10m))
    print(
        f"{report['total_rows']:,} rows ({report['rows_per_org']:,} in the measured org, "
        f"{report['changed_in_org']:,} of them changed), loaded in {report['load_seconds']} s"
    )
    print(f"{'filter':32} {'P50 ms':>8} {'P99 ms':>8} {'rows':>6}")
    for name, figures in report["queries"].items():
        p50, p99, found = figures["p50_ms"], figures["p99_ms"], figures["rows_returned"]
        print(f"{name:32} {p50:8.1f} {p99:8.1f} {found:6}")
    _print_metrics(report["metrics"], f"{report['rows_per_org']:,} rows")
    if "metrics_large" in report:
        _print_metrics(report["metrics_large"], f"{report['large_rows_in_org']:,} rows")
        print(f"(grown in {report['large_load_seconds']} s) P50 growth:")
        for name, ratio in report["metrics_growth_p50"].items():
            print(f"  {name:40} x{ratio}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

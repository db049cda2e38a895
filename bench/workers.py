"""`heliograph serve --workers 2` against `serve` (one process), unpinned on this machine,
in the same run: logged passthrough completions, streams, and completions under a rate
limit (kept by the store process: no Redis) at c=16 and c=64, and where the cores went
(the gateway workers, the store process, the load generator).

    python -m bench.workers           # 3 rounds of 8 s per case (+2 s warm-up)
    python -m bench.workers --smoke   # 1 round of 2 s, c=16, completions

Each round starts each shape afresh (its own data dir) on the same fake provider (nginx),
so a noisy machine weighs on both alike; the ratios are of the medians over the rounds.
CPU is read from /proc per process: in the workers shape the gateway workers' (their pids
from /healthz) apart from the rest of the tree (the store process; the supervisor is
idle); the load is nginx's tree plus wrk's own (a reaped child's rusage). Each run (and
its warm-up) is followed by the wait until every call it served is stored, and the run's
rate and CPU count that wait: a store process starved of CPU while the gateways run stores
the rest afterwards, so the calls answered a second alone would flatter the workers. Both
rates are reported: `stored_per_s` (the ratio) and `requests_per_s` (wrk's, answered).

Results: a table on stdout and bench/results/workers-latest.json (workers-smoke.json).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness, nginx, procstat, stack, wrk
from bench.processes import BenchError, Service, get_json

RESULTS_DIR = Path(__file__).parent / "results"
SHAPES = {"serve": (), "workers-2": ("--workers", "2")}
# A quota never reached: every call is checked and counted against it.
RATE_LIMITED = {"Helicone-RateLimit-Policy": "1000000000;w=60"}


@dataclass(frozen=True)
class Profile:
    name: str
    concurrencies: tuple[int, ...]
    kinds: tuple[str, ...]  # "completion", "stream", "rate-limited" (a completion)
    rounds: int
    seconds: int
    warmup_seconds: int
    out: Path


FULL = Profile(
    "full",
    (16, 64),
    ("completion", "stream", "rate-limited"),
    3,
    8,
    2,
    RESULTS_DIR / "workers-latest.json",
)
SMOKE = Profile("smoke", (16,), ("completion",), 1, 2, 1, RESULTS_DIR / "workers-smoke.json")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _gateway_pids(base_url: str) -> list[int]:
    workers = get_json(base_url + "/healthz").get("gateway_workers") or []
    return [int(w["pid"]) for w in workers]


def _cpu(system: stack.Stack, gateways: list[int]) -> dict[str, float]:
    total = procstat.cpu_seconds(system.heliograph.pid)
    gateway = sum(procstat.cpu_seconds(pid) for pid in gateways)
    return {
        "heliograph": total,
        "gateways": gateway,
        "nginx": procstat.cpu_seconds(system.nginx.pid),
    }


def one_run(
    system: stack.Stack, kind: str, concurrency: int, profile: Profile, tmp: Path, served: int
) -> dict[str, Any]:
    """One wrk run after a warm-up, each followed by the wait until every call is stored
    (`served` calls came before): the run's CPU and rates count that wait too, since a
    store falling behind during the run does the rest of its work after it."""
    call = system.call("passthrough", kind == "stream")
    if kind == "rate-limited":  # admitted, and charged, by the store process (no Redis)
        call = stack.Call(call.url, call.headers | RATE_LIMITED, call.body)
    script = wrk.write_script(tmp / "workers.lua", call.body, call.headers)
    warm = wrk.run(call.url, script, concurrency, profile.warmup_seconds, None)
    served += warm.requests
    drain_wait(system.heliograph_url, served)
    gateways = _gateway_pids(system.heliograph_url)
    before, wrk_before = _cpu(system, gateways), _children_cpu_s()
    started = time.monotonic()
    result = wrk.run(call.url, script, concurrency, profile.seconds, None)
    wrk_cpu = _children_cpu_s() - wrk_before
    drain_s = drain_wait(system.heliograph_url, served + result.requests)
    seconds = time.monotonic() - started  # the run and the wait until all is stored
    after = _cpu(system, gateways)
    used = {name: after[name] - before[name] for name in before}
    store_cpu_s = used["heliograph"] - used["gateways"]
    return {
        "kind": kind,
        "concurrency": concurrency,
        "served": warm.requests + result.requests,
        "errors": warm.errors + result.errors,
        "drain_s": round(drain_s, 2),
        # Calls answered and stored a second, over the run and the wait for its rows.
        "stored_per_s": round(result.requests / seconds, 1),
        # Cores busy on average over the run and the wait, per part.
        "cores": {
            "gateway_workers": round(used["gateways"] / seconds, 3),
            "store_and_rest": round(store_cpu_s / seconds, 3),
            "load_nginx_and_wrk": round((used["nginx"] + wrk_cpu) / seconds, 3),
        },
        # CPU a call: of every Heliograph process, and of the gateway side alone (in one
        # process, all of it: its gateway builds, spools and stores each row itself).
        "cpu_ms_a_call": _per_call(used["heliograph"], result.requests),
        "gateway_cpu_ms_a_call": _per_call(
            used["gateways"] if gateways else used["heliograph"], result.requests
        ),
        # With workers: the store process's ingest, rows stored a CPU second of it.
        "store_rows_per_cpu_s": (
            round(result.requests / store_cpu_s) if gateways and store_cpu_s > 0 else None
        ),
        **result.as_dict(),
    }


def _per_call(cpu_s: float, calls: int) -> float:
    return round(cpu_s / calls * 1000, 4) if calls else 0.0


def drain_wait(base_url: str, served: int, timeout_s: float = 120.0) -> float:
    """Seconds until every call served reached the store; BenchError past `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        body = get_json(base_url + "/healthz")
        pipeline = body["log_pipeline"]
        workers = body.get("gateway_workers")
        submitted = sum(w["submitted"] for w in workers) if workers else pipeline["submitted"]
        stored = pipeline["stored"] + pipeline["replayed"]
        if submitted >= served and stored >= submitted and pipeline["backlog_segments"] == 0:
            return time.monotonic() - started
        time.sleep(0.1)
    raise BenchError(f"not every row stored within {timeout_s:g} s: {body}")


def run_shape(
    shape: str, round_: int, fake: Service, upstream: str, profile: Profile, tmp: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    here = tmp / f"{shape}-{round_}"
    here.mkdir()
    service, base, key = stack.start_heliograph(here, None, upstream, serve_args=SHAPES[shape])
    system = stack.Stack(fake, service, upstream + nginx.CHAT_PATH, base, key)
    runs: list[dict[str, Any]] = []
    served = 0
    try:
        for kind in profile.kinds:
            for concurrency in profile.concurrencies:
                run: dict[str, Any] = {"shape": shape, "round": round_} | one_run(
                    system, kind, concurrency, profile, here, served
                )
                served += run["served"]
                runs.append(run)
                print(
                    f"  round {round_} {shape:<9} {kind:<10} c={concurrency:<3} "
                    f"{run['requests_per_s']:>8,.0f} req/s answered, "
                    f"{run['stored_per_s']:>8,.0f} stored (drain {run['drain_s']} s)  "
                    f"cores {run['cores']}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        service.stop()
    problems = [
        f"{r['shape']} {r['kind']} c={r['concurrency']}: {r['errors']} errors"
        for r in runs
        if r["errors"]
    ]
    return runs, problems


def comparison(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per kind and concurrency: each shape's median req/s and cores, and the ratio."""
    rows = []
    for kind in sorted({r["kind"] for r in runs}):
        for concurrency in sorted({r["concurrency"] for r in runs}):
            row: dict[str, Any] = {"kind": kind, "concurrency": concurrency}
            for shape in SHAPES:
                mine = [
                    r
                    for r in runs
                    if (r["shape"], r["kind"], r["concurrency"]) == (shape, kind, concurrency)
                ]
                if not mine:
                    continue
                for rate in ("requests_per_s", "stored_per_s"):
                    row[f"{shape}_{rate}"] = round(statistics.median(r[rate] for r in mine))
                row[f"{shape}_p50_ms"] = round(
                    statistics.median(r["p50_us"] for r in mine) / 1000, 3
                )
                for figure in ("cpu_ms_a_call", "gateway_cpu_ms_a_call"):
                    row[f"{shape}_{figure}"] = statistics.median(r[figure] for r in mine)
                ingest = [r["store_rows_per_cpu_s"] for r in mine if r["store_rows_per_cpu_s"]]
                if ingest:
                    row[f"{shape}_store_rows_per_cpu_s"] = round(statistics.median(ingest))
                row[f"{shape}_cores"] = {
                    part: round(statistics.median(r["cores"][part] for r in mine), 3)
                    for part in mine[0]["cores"]
                }
            if row.get("serve_stored_per_s"):
                # Sustained: calls answered and stored, the wait for the store included.
                row["ratio"] = round(row["workers-2_stored_per_s"] / row["serve_stored_per_s"], 3)
                row["answered_ratio"] = round(
                    row["workers-2_requests_per_s"] / row["serve_requests_per_s"], 3
                )
                # A gateway worker's CPU a call against the one process's (which also stores).
                row["gateway_cpu_ratio"] = round(
                    row["workers-2_gateway_cpu_ms_a_call"] / row["serve_cpu_ms_a_call"], 3
                )
            rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "  kind          c    serve stored/s  workers-2 stored/s  ratio  (answered)"
        "  gateway CPU/call ratio  cores (serve | workers-2)"
    ]
    for r in rows:
        lines.append(
            f"  {r['kind']:<12}  {r['concurrency']:<3} {r['serve_stored_per_s']:>14,}"
            f"  {r['workers-2_stored_per_s']:>18,}  {r['ratio']:<6} ({r['answered_ratio']})"
            f"  {r['gateway_cpu_ratio']:<22}  {r['serve_cores']} | {r['workers-2_cores']}"
        )
    return "\n".join(lines)


def body(tmp: Path, profile: Profile) -> int:
    cpus = stack.Cpus(heliograph=None, load=None)  # unpinned: the shapes share both cores
    document = harness.metadata("workers", profile.name, cpus)
    fake, upstream = stack.start_fake(tmp, None)
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        for round_ in range(profile.rounds):
            for shape in SHAPES:
                shape_runs, shape_problems = run_shape(shape, round_, fake, upstream, profile, tmp)
                runs += shape_runs
                problems += shape_problems
    finally:
        fake.stop()
    rows = comparison(runs)
    print(table(rows))
    document |= {
        "seconds_per_case": profile.seconds,
        "rounds": profile.rounds,
        "comparison": rows,
        "runs": runs,
    }
    harness.finish(document, problems)
    return harness.conclude("bench.workers", profile.out, document, problems)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="1 short round, c=16")
    profile = SMOKE if parser.parse_args().smoke else FULL
    missing = harness.cannot_run("bench.workers", ("nginx", "wrk"))
    if missing is not None:
        return missing
    return harness.run_main("bench.workers", lambda tmp: body(tmp, profile))


if __name__ == "__main__":
    sys.exit(main())

"""Soak and fault injection: does every call Heliograph answered 2xx end up stored exactly
once while its disk fills, its descriptors run out, Redis and PostgreSQL go away, it is
killed, and hostile clients hold its sockets?

    make bench-faults                                  # python -m bench.faults: 30 minutes
    make bench-faults BENCH_ARGS="--minutes 3"
    python -m bench.faults --smoke                     # 30 s of load, about a minute

Needs root (it mounts a tmpfs), redis-server and PostgreSQL's initdb/pg_ctl
(/usr/lib/postgresql/*/bin). One `heliograph serve` with its data dir on a tmpfs of its own,
its metadata in a PostgreSQL cluster of its own and its cache and rate limits in a Redis of
its own (the machine's are never touched), in front of the canned fake provider. A few
threads call it at a bounded rate (bench.faults_load) from three organizations, each call
with its own Helicone-Request-Id and its answer recorded. After a steady warm-up the faults
of bench.faults_inject take turns: each a window, then as long again of steady load. At the
end: a bounded wait until /healthz shows nothing waiting, a graceful stop, and the stored
request ids read from the store (bench.faults_report). Results: bench/results/
faults-latest.{json,md} (faults-smoke.* for --smoke), and stdout. Exit 1 when a call
answered 2xx is missing or stored twice; 2 when it cannot run here.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import sys
import time
import urllib.error
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import faults_report, harness, report, stack
from bench.faults_inject import FAULTS, Services, Window
from bench.faults_load import Load, ServerSampler, Target
from bench.faults_services import Heliograph, OwnPostgres, OwnRedis, Tmpfs

RESULTS_DIR = Path(__file__).parent / "results"
SMOKE_MINUTES = 0.5  # 3 s of warm-up, then each of six faults for 2.25 s and 2.25 s steady
SMOKE_DRAIN_S = 10.0  # a server that cannot drain shows it in 10 s as well as in 60
ORGS = ("faults-org-b", "faults-org-c")  # besides the default org of the first key


@dataclass(frozen=True)
class Plan:
    """How long, how fast, and the fault schedule."""

    mode: str
    minutes: float
    rate: float = 20.0  # calls a second, all threads together
    faults: tuple[str, ...] = tuple(FAULTS)  # in this order
    tmpfs_mib: int = 256
    drain_timeout_s: float = 60.0

    @property
    def warmup_s(self) -> float:
        return self.minutes * 6  # a tenth of the run

    @property
    def cycles(self) -> int:
        return max(1, int(self.minutes // 10))  # every fault once per ten minutes

    @property
    def window_s(self) -> float:
        """Each fault's window; as long again of steady load follows it."""
        slots = len(self.faults) * self.cycles
        return (self.minutes * 60 - self.warmup_s) / slots / 2


def _check_can_run(faults: tuple[str, ...]) -> list[str]:
    missing = [
        f"{tool} not found on PATH"
        for tool in ("redis-server", "runuser", "mount")
        if shutil.which(tool) is None
    ]
    if "postgres" in faults and not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing.append("PostgreSQL's initdb not found under /usr/lib/postgresql/*/bin")
    if os.geteuid() != 0:
        missing.append("not root: mounting the tmpfs for the disk-full fault needs root")
    return missing


def _schedule(plan: Plan, services: Services, began: float) -> list[Window]:
    """Warm-up, then each fault in turn, each followed by steady load; bounded in count."""
    windows: list[Window] = []
    time.sleep(plan.warmup_s)
    for cycle in range(plan.cycles):
        for name in plan.faults:
            label = f"{len(windows) + 1}:{name}"
            window = Window(label, round(time.monotonic() - began, 1))
            windows.append(window)
            services.target.window = label
            fault = FAULTS[name](services)
            try:
                fault.begin()
                time.sleep(plan.window_s)
            finally:
                fault.end()
                services.target.window = "steady"
                window.ended_s = round(time.monotonic() - began, 1)
                window.details = fault.details
            print(f"  fault {label} ({cycle + 1}/{plan.cycles}): {fault.details}", file=sys.stderr)
            time.sleep(plan.window_s)
    return windows


def _drain(base_url: str, timeout_s: float) -> dict[str, Any]:
    """Wait (bounded) until the log pipeline holds nothing; its last counters."""
    deadline = time.monotonic() + timeout_s
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        # A server that refuses while it cannot store answers /healthz 503: keep waiting.
        with contextlib.suppress(urllib.error.URLError, OSError, KeyError):
            stats = stack.pipeline_stats(base_url)
            if stack.all_stored(stats):
                return {**stats, "drained": True}
        time.sleep(0.5)
    return {**stats, "drained": False}


def run(plan: Plan, tmp: Path) -> dict[str, Any]:
    """Start everything, load it through the faults, stop it all; the results document."""
    document = harness.metadata("faults", plan.mode, stack.Cpus(None, None))
    document |= {"minutes": plan.minutes, "plan": asdict(plan), "window_s": plan.window_s}
    with contextlib.ExitStack() as cleanup:
        tmpfs = Tmpfs(tmp / "heliograph-data", plan.tmpfs_mib)
        cleanup.callback(tmpfs.close)
        redis = OwnRedis(tmp)
        cleanup.callback(redis.close)
        settings = {"HELIOGRAPH_REDIS_URL": redis.url}
        postgres = None  # without the postgres fault, the metadata stays in SQLite: quicker
        if "postgres" in plan.faults:
            postgres = OwnPostgres()
            cleanup.callback(postgres.close)
            settings["HELIOGRAPH_DATABASE_URL"] = postgres.url
        fake, upstream = stack.start_fake(tmp, None)
        cleanup.callback(fake.stop)
        server = Heliograph(tmp, upstream, settings)
        cleanup.callback(server.close)
        keys = [server.api_key, *(server.create_key(org) for org in ORGS)]
        target = Target(server.base_url)
        services = Services(tmpfs, redis, postgres, server, target)
        load = Load(target, keys, plan.rate, max_calls=int(plan.rate * plan.minutes * 60 * 2))
        began = time.monotonic()
        with ServerSampler(server, target) as sampler:
            load.start()
            try:
                windows = _schedule(plan, services, began)
            finally:
                load.stop()
            document["log_pipeline"] = _drain(server.base_url, plan.drain_timeout_s)
        document["server_exit_code"] = server.close()
        copies = faults_report.stored_copies(tmpfs.path / "clickhouse")
    document["faults"] = [asdict(w) for w in windows]
    document["summary"] = faults_report.summarize(load.records, copies, sampler.samples)
    document["samples"] = sampler.as_dicts()
    harness.finish(document, document["summary"]["problems"])
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--smoke", action="store_true", help="30 s of load, every fault once")
    parser.add_argument("--rate", type=float, default=20.0, help="calls a second in all")
    parser.add_argument("--out", type=Path, help="results path; .json and .md are written")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"which faults, in this order (default: all: {','.join(FAULTS)})",
    )
    args = parser.parse_args(argv)
    faults = tuple(name.strip() for name in args.faults.split(",") if name.strip())
    unknown = [name for name in faults if name not in FAULTS]
    if unknown or not faults:
        parser.error(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
    missing = _check_can_run(faults)
    if missing:
        print("bench.faults: cannot run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    mode = "smoke" if args.smoke else "soak"
    if args.smoke:
        plan = Plan(mode, SMOKE_MINUTES, args.rate, faults, drain_timeout_s=SMOKE_DRAIN_S)
    else:
        plan = Plan(mode, args.minutes, args.rate, faults)
    out: Path = args.out or RESULTS_DIR / f"faults-{'smoke' if args.smoke else 'latest'}"

    def body(tmp: Path) -> int:
        document = run(plan, tmp)
        report.write_json(out.with_suffix(".json"), document)
        text = faults_report.markdown(document)
        out.with_suffix(".md").write_text(text)
        print(text)
        print(f"results: {out.with_suffix('.json')}, {out.with_suffix('.md')}")
        return 0 if document["ok"] else 1

    return harness.run_main("bench.faults", body)


if __name__ == "__main__":
    sys.exit(main())

"""One system measured the way bench.compare measures every system: checked by content,
then closed-loop cases (each kind at each concurrency), open-loop cases at a fixed rate,
and the TTFT probe, with its process tree's CPU time and memory around every case.

For Heliograph, the log pipeline is read from /healthz around each case and drained after
it: the rows it stored per second of load plus drain are what the pipeline sustains.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench import checks, procstat, stack
from bench.loadgen import Load
from bench.processes import BenchError
from bench.systems import System
from bench.wrk import WrkResult

KINDS = ("completion", "stream")


@dataclass(frozen=True)
class Profile:
    name: str
    concurrencies: tuple[int, ...]
    seconds: int  # per case, after the warm-up
    warmup_seconds: int
    ttft_seconds: int
    drain_timeout_s: float


@dataclass(frozen=True)
class Case:
    system: str
    kind: str  # "completion" (1 KB JSON) or "stream" (20-chunk SSE)
    mode: str  # "closed" (wrk) or "open" (h2load at `rate`)
    concurrency: int  # closed: connections; open: 0
    rate: float  # open: the requests/s asked for; closed: 0
    result: WrkResult
    warmup_errors: int
    cpu_seconds: float  # the system's process tree, during the measured part
    rss_peak_bytes: int
    pipeline: dict[str, Any] | None = None  # Heliograph: ingest figures for the case

    @property
    def errors(self) -> int:
        return self.result.errors + self.warmup_errors

    @property
    def overloaded(self) -> bool:
        """Open loop: the system answered under 95% of the rate asked."""
        return self.mode == "open" and self.result.requests_per_s < 0.95 * self.rate

    def as_dict(self) -> dict[str, Any]:
        per_1000 = self.cpu_seconds / self.result.requests * 1000 if self.result.requests else 0
        return {
            "system": self.system,
            "kind": self.kind,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "rate": round(self.rate, 1),
            **self.result.as_dict(),
            "warmup_errors": self.warmup_errors,
            "errors": self.errors,  # warm-up included
            "overloaded": self.overloaded,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "cpu_seconds_per_1000_requests": round(per_1000, 4),
            "rss_peak_mib": procstat.mib(self.rss_peak_bytes),
            "pipeline": self.pipeline,
        }


@dataclass
class SystemRun:
    """Everything measured on one system."""

    system: System
    load: Load
    profile: Profile
    cases: list[Case] = field(default_factory=list)
    ttft: dict[str, Any] = field(default_factory=dict)
    served: int = 0  # requests the system answered, warm-ups and checks included
    rss_start: int = 0
    rss_peak: int = 0
    rss_end: int = 0

    @property
    def name(self) -> str:
        return self.system.name

    def check(self) -> None:
        """Both kinds checked by content before any load: a wrong answer fails the run."""
        for stream in (False, True):
            what = f"{self.name} {'stream' if stream else 'completion'} check call"
            try:
                checks.check_call(self.system.call(stream), stream, self.system.usage_chunk, what)
            except BenchError as exc:
                raise BenchError(f"{exc}\n--- {self.name} log ---\n{self._log_tail()}") from None
            self.served += 1
        self.rss_start = procstat.rss_bytes(self.system.service.pid)

    def _log_tail(self) -> str:
        return self.system.service.log_tail()

    def _alive(self) -> None:
        if not self.system.service.alive():
            raise self.system.service.failure(f"{self.name} exited during the run")

    def _pipeline(self) -> dict[str, Any]:
        return stack.pipeline_stats(self.system.base_url)

    def _measure(
        self,
        kind: str,
        mode: str,
        concurrency: int,
        rate: float,
        warm: WrkResult | None,
        go: Callable[[], WrkResult],
    ) -> None:
        pid = self.system.service.pid
        self._settle()
        logs = bool(self.system.base_url)
        before = self._pipeline() if logs else None
        cpu_before = procstat.cpu_seconds(pid)
        began = time.monotonic()
        with procstat.RssSampler(pid) as rss:
            result: WrkResult = go()
        elapsed = time.monotonic() - began
        cpu = procstat.cpu_seconds(pid) - cpu_before
        self._alive()
        self.served += result.requests + (warm.requests if warm else 0)
        pipeline = self._ingest(before, elapsed) if before is not None else None
        case = Case(
            self.name, kind, mode, concurrency, rate, result,
            warm.errors if warm else 0, cpu, rss.peak, pipeline,
        )  # fmt: skip
        self.cases.append(case)
        self.rss_peak = max(self.rss_peak, rss.peak)
        _progress(case)

    def _settle(self, idle_share: float = 0.2, timeout_s: float = 5.0) -> None:
        """Wait (up to `timeout_s`) until the system uses under `idle_share` of a core: a
        slow system may still be answering the last case's requests, and those must not
        count against the next case."""
        pid = self.system.service.pid
        deadline = time.monotonic() + timeout_s
        before = procstat.cpu_seconds(pid)
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = procstat.cpu_seconds(pid)
            if now - before < idle_share * 0.2:
                return
            before = now

    def _ingest(self, before: dict[str, Any], load_s: float) -> dict[str, Any]:
        """Rows stored during the case and its drain, per second of both."""
        at_end = self._pipeline()
        drain_began = time.monotonic()
        after = at_end
        deadline = drain_began + self.profile.drain_timeout_s
        while not stack.all_stored(after) and time.monotonic() < deadline:
            time.sleep(0.05)
            after = self._pipeline()
        drain_s = time.monotonic() - drain_began
        stored = stack.rows_stored(after) - stack.rows_stored(before)
        return {
            "rows_submitted": after["submitted"] - before["submitted"],
            "rows_stored": stored,
            "unstored_at_start": before["submitted"] - stack.rows_stored(before),
            "unstored_at_load_end": at_end["submitted"] - stack.rows_stored(at_end),
            "drain_seconds": round(drain_s, 2),
            "drained": stack.all_stored(after),
            "backlog_segments_before": before["backlog_segments"],
            "backlog_segments_after": after["backlog_segments"],
            "rows_stored_per_s": round(stored / (load_s + drain_s), 1),
        }

    def closed_cases(self) -> None:
        for kind in KINDS:
            call = self.system.call(kind == "stream")
            for concurrency in self.profile.concurrencies:
                warm = self.load.closed(call, concurrency, self.profile.warmup_seconds)
                run = partial(self.load.closed, call, concurrency, self.profile.seconds)
                self._measure(kind, "closed", concurrency, 0.0, warm, run)

    def open_cases(self, rates: dict[str, float]) -> None:
        for kind in KINDS:
            call = self.system.call(kind == "stream")
            rate = rates[kind]
            p = self.profile
            capacity = self.peak_rate(kind)
            run = partial(self.load.open, call, rate, p.seconds, p.warmup_seconds, capacity)
            self._measure(kind, "open", 0, rate, None, run)

    def probe_ttft(self) -> None:
        call = self.system.call(True)
        self.ttft = self.load.ttft(call, self.profile.ttft_seconds)
        self.served += self.ttft["streams"] + self.ttft["errors"]
        self._alive()
        t = self.ttft
        print(
            f"  {self.name:<10} TTFT, one stream at a time: {t['streams']:,} streams, "
            f"P50 {t['ttft_p50_us'] / 1000:.3f} ms  P99 {t['ttft_p99_us'] / 1000:.3f} ms",
            file=sys.stderr,
            flush=True,
        )

    def peak_rate(self, kind: str) -> float:
        """The best closed-loop requests/s of `kind`."""
        rates = [c.result.requests_per_s for c in self.cases if c.kind == kind]
        return max(rates, default=0.0)

    def finish(self) -> None:
        self.rss_end = procstat.rss_bytes(self.system.service.pid)
        self.rss_peak = max(self.rss_peak, self.rss_end, self.rss_start)

    def summary(self) -> dict[str, Any]:
        closed = [c for c in self.cases if c.mode == "closed"]
        requests = sum(c.result.requests for c in closed)
        cpu = sum(c.cpu_seconds for c in closed)
        return {
            **self.system.details,
            "rss_start_mib": procstat.mib(self.rss_start),
            "rss_peak_mib": procstat.mib(self.rss_peak),
            "rss_end_mib": procstat.mib(self.rss_end),
            # over all closed-loop cases: the system's own CPU per 1,000 answers
            "cpu_seconds_per_1000_requests": round(cpu / requests * 1000, 4) if requests else 0,
            "requests_served": self.served,
            "ttft": self.ttft,
        }


def _progress(case: Case) -> None:
    r = case.result
    how = f"c={case.concurrency:<3}" if case.mode == "closed" else f"@{case.rate:,.0f}/s"
    errors = f"  ERRORS {case.errors}" if case.errors else ""
    late = "  OVERLOADED" if case.overloaded else ""
    print(
        f"  {case.system:<10} {case.kind:<10} {case.mode:<6} {how:<9} "
        f"{r.requests_per_s:>9,.0f} req/s  P50 {r.p50_us / 1000:7.3f} ms  "
        f"P99 {r.p99_us / 1000:7.3f} ms  CPU {case.cpu_seconds:5.1f} s{errors}{late}",
        file=sys.stderr,
        flush=True,
    )

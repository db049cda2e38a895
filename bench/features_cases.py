"""The cases of bench.features on one Heliograph: the calls, their checks and their load."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import checks, harness, wrk
from bench.processes import BenchError
from bench.stack import Call, Stack

QUOTA = 1_000_000_000
# s=user: each case counts in a window of its own (see bench.features on why).
POLICY = f"{QUOTA};w=60;s=user"
# Which features each kind is measured with; "plain" is the baseline of the others.
FEATURES = {"completion": ("plain", "ratelimit", "cache-hit"), "stream": ("plain", "cache-hit")}
TALLIED = "helicone-cache"


@dataclass(frozen=True)
class Answer:
    headers: dict[str, str]  # lower-case names
    body: str


@dataclass(frozen=True)
class FeatureCase:
    backend: str  # "memory" or "redis"
    feature: str  # "plain", "ratelimit" or "cache-hit"
    kind: str  # "completion" or "stream"
    concurrency: int
    result: wrk.WrkResult
    warmup: wrk.WrkResult
    window_requests: int | None = None  # ratelimit: calls in the case's window at its end

    @property
    def errors(self) -> int:
        return self.result.errors + self.warmup.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "feature": self.feature,
            "kind": self.kind,
            "concurrency": self.concurrency,
            **self.result.as_dict(),
            "warmup_requests": self.warmup.requests,
            "warmup_errors": self.warmup.errors,
            "window_requests": self.window_requests,
        }


@dataclass
class FeatureRun:
    """Everything measured on one Heliograph process, and what went wrong there."""

    backend: str
    system: Stack
    workdir: Path
    cpu: str | None  # where wrk runs
    cases: list[FeatureCase] = field(default_factory=list)
    growth_rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    served: int = 0  # calls Heliograph answered: check calls and wrk's, warm-ups included
    pipeline: dict[str, Any] = field(default_factory=dict)

    def call(self, feature: str, stream: bool, user: str = "") -> Call:
        base = self.system.call("passthrough", stream)
        extra = {
            "plain": {},
            "ratelimit": {"Helicone-RateLimit-Policy": POLICY, "Helicone-User-Id": user},
            "cache-hit": {"Helicone-Cache-Enabled": "true"},
        }[feature]
        return Call(base.url, {**base.headers, **extra}, base.body)

    def post(self, call: Call, what: str) -> Answer:
        """One call, checked by content like bench.checks does."""
        request = urllib.request.Request(
            call.url, data=call.body.encode(), headers=call.headers, method="POST"
        )
        what = f"{self.backend}: {what}"
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                body = response.read().decode()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise self.system.heliograph.failure(f"{what}: status {exc.code}: {detail}") from None
        except OSError as exc:
            raise self.system.heliograph.failure(f"{what} failed: {exc}") from None
        self.served += 1
        try:
            if '"stream":true' in call.body:
                checks.check_stream(body, headers.get("content-type", ""), usage_chunk=False)
            else:
                checks.check_completion(body, headers.get("content-type", ""))
        except (BenchError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise BenchError(f"{what}: {exc}\n--- body ---\n{body[:1500]}") from None
        return Answer(headers, body)

    def expect_cache(self, answer: Answer, expected: str | None, what: str) -> None:
        seen = answer.headers.get(TALLIED)
        if seen != expected:
            raise BenchError(
                f"{self.backend}: {what}: Helicone-Cache {seen!r}, expected {expected!r}; "
                f"response headers {answer.headers}"
            )

    def window_used(self, call: Call, what: str) -> int:
        """Calls counted in the call's rate-limit window, this check call included."""
        answer = self.post(call, what)
        remaining = answer.headers.get("helicone-ratelimit-remaining")
        if remaining is None:
            raise BenchError(f"{self.backend}: {what}: no Helicone-RateLimit-Remaining header")
        return QUOTA - int(float(remaining))

    def warm_cache(self) -> None:
        """For both kinds, the first cache-enabled call must miss and the second hit."""
        for stream in (False, True):
            call = self.call("cache-hit", stream)
            kind = "stream" if stream else "completion"
            self.expect_cache(self.post(call, f"first cached {kind}"), "MISS", f"first {kind}")
            self.expect_cache(self.post(call, f"second cached {kind}"), "HIT", f"second {kind}")

    def load(self, call: Call, name: str, concurrency: int, seconds: int) -> wrk.WrkResult:
        """One wrk run; every response must carry the Helicone-Cache value of its feature."""
        script = wrk.write_script(self.workdir / f"{name}.lua", call.body, call.headers, TALLIED)
        result = wrk.run(call.url, script, concurrency, seconds, self.cpu)
        self.served += result.requests
        if not self.system.heliograph.alive():
            raise self.system.heliograph.failure("Heliograph exited during the run")
        expected = "HIT" if call.headers.get("Helicone-Cache-Enabled") else "-"
        if result.tally != {expected: result.requests}:
            self.problems.append(
                f"{self.backend} {name} c={concurrency}: Helicone-Cache values {result.tally} "
                f"over {result.requests} requests, expected all {expected!r}"
            )
        if result.errors:
            self.problems.append(
                f"{self.backend} {name} c={concurrency}: wrk errors {result.as_dict()}"
            )
        return result

    def case(self, feature: str, kind: str, concurrency: int, seconds: int, warmup: int) -> None:
        name = f"{feature}-{kind}-c{concurrency}"
        call = self.call(feature, kind == "stream", f"bench-{name}")
        before = 0
        if feature == "ratelimit":
            before = self.window_used(call, f"{name} check call")
            if before != 1:
                self.problems.append(f"{self.backend} {name}: window held {before - 1} calls")
        else:
            expected = "HIT" if feature == "cache-hit" else None
            self.expect_cache(self.post(call, f"{name} check call"), expected, name)
        warm = self.load(call, name, concurrency, warmup)
        result = self.load(call, name, concurrency, seconds)
        window = None
        if feature == "ratelimit":
            window = self.window_used(call, f"{name} check call after load")
            counted = before + warm.requests + result.requests + 1
            self._expect_counted(name, counted, window, 2 * concurrency)
        case = FeatureCase(self.backend, feature, kind, concurrency, result, warm, window)
        self.cases.append(case)
        _progress(case)

    def _expect_counted(self, name: str, counted: int, window: int, unanswered: int) -> None:
        """`window` must hold the `counted` calls, and at most the `unanswered` ones wrk
        stopped waiting for at the end of its runs (the limiter counted those too)."""
        if not counted <= window <= counted + unanswered:
            self.problems.append(
                f"{self.backend} {name}: the window counts {window} calls, "
                f"but {counted} went through the limiter"
            )

    def growth(self, concurrency: int, slices: int, seconds: int) -> None:
        """Consecutive wrk runs on one rate-limit window, its size measured between them."""
        call = self.call("ratelimit", False, "bench-growth")
        used = self.window_used(call, "growth check call")
        for index in range(1, slices + 1):
            name = f"ratelimit-growth-{index}"
            result = self.load(call, name, concurrency, seconds)
            after = self.window_used(call, f"{name} check call")
            self._expect_counted(name, used + result.requests + 1, after, concurrency)
            self.growth_rows.append(
                {
                    "backend": self.backend,
                    "slice": index,
                    "concurrency": concurrency,
                    "window_requests_at_start": used,
                    "window_requests_at_end": after,
                    **result.as_dict(),
                }
            )
            print(
                f"  {self.backend:<6} growth {index} window {used:>7,} "
                f"{result.requests_per_s:>8,.0f} req/s  P50 {result.p50_us / 1000:7.3f} ms",
                file=sys.stderr,
                flush=True,
            )
            used = after

    def check_shutdown(self, drain_timeout_s: float) -> None:
        """After stop: a clean exit, no logged errors, every row stored, Redis never down."""
        heliograph = self.system.heliograph
        found = harness.heliograph_problems(heliograph, self.pipeline, self.served, drain_timeout_s)
        self.problems += [f"{self.backend}: {problem}" for problem in found]
        for line in self._log_lines("unavailable")[:5]:
            self.problems.append(f"{self.backend}: Heliograph logged: {line}")

    def _log_lines(self, word: str) -> list[str]:
        try:
            text = self.system.heliograph.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if word in line]

    def summary(self) -> dict[str, Any]:
        return {
            "log_pipeline": {**self.pipeline, "requests_served": self.served},
            "exit_code": self.system.heliograph.exit_code,
            "log_errors": self.system.heliograph.log_errors(),
        }


def _progress(case: FeatureCase) -> None:
    r = case.result
    print(
        f"  {case.backend:<6} {case.feature:<9} {case.kind:<10} c={case.concurrency:<3} "
        f"{r.requests_per_s:>8,.0f} req/s  P50 {r.p50_us / 1000:7.3f} ms  "
        f"P99 {r.p99_us / 1000:7.3f} ms",
        file=sys.stderr,
        flush=True,
    )

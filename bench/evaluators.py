"""What online evaluation costs the gateway: throughput at c=16 of the same unified-gateway
call with no evaluator attached, and with an LLM-as-judge evaluator attached to the
organization's traffic at a 10% sample rate (its judge: the same canned fake provider,
called through Heliograph's own gateway).

    python -m bench.evaluators           # c=16, 3 rounds of 10 s per case (+2 s warm-up)
    python -m bench.evaluators --smoke   # c=16, 1 round of 2 s

The two cases alternate, round after round, in one Heliograph process: the evaluator is
attached before each "evaluated" round and detached after it (dropping what it had not
scored yet), so the "plain" rounds run with no evaluation work. The ratio is of the median
requests per second; the target is at most 5% less. The backlog (/healthz `online_evaluation`)
is recorded after each evaluated round: evaluation yields to live traffic and catches up after.
The canned answer holds no score, so every judge call ends in "no score" and is retried
twice: three judge calls a sampled request, more work than a judge that answers.

Results: a table on stdout and bench/results/evaluators-latest.json (evaluators-smoke.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ab_runs, harness, procstat, stack, wrk

RESULTS_DIR = Path(__file__).parent / "results"
MODEL = stack.GATEWAY_MODELS["gateway-openai"]
CASES = ("plain", "evaluated")
SAMPLE_RATE = 10
CONCURRENCY = 16
TEMPLATE = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "Rate the answer from 1 to 10."},
        {"role": "user", "content": "Question: {{inputBody}}\nAnswer: {{outputBody}}"},
    ],
}


@dataclass(frozen=True)
class Profile:
    name: str
    rounds: int
    seconds: int
    warmup_seconds: int
    out: Path


FULL = Profile("full", 3, 10, 2, RESULTS_DIR / "evaluators-latest.json")
SMOKE = Profile("smoke", 1, 2, 1, RESULTS_DIR / "evaluators-smoke.json")


def _api(system: stack.Stack, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        system.heliograph_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {system.api_key}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _online(system: stack.Stack) -> dict[str, Any]:
    with urllib.request.urlopen(system.heliograph_url + "/healthz", timeout=30) as response:
        stats: dict[str, Any] = json.loads(response.read())["online_evaluation"]
    return stats


class Evaluator:
    """The bench's evaluator, attached to live traffic and detached again."""

    def __init__(self, system: stack.Stack) -> None:
        self._system = system
        body = {"name": "Bench judge", "scoring_type": "LLM-RANGE", "llm_template": TEMPLATE}
        self.id = _api(system, "POST", "/v1/evaluator", body)["data"]["id"]
        self._path = f"/v1/evaluator/{self.id}/onlineEvaluators"

    def attach(self) -> None:
        _api(self._system, "POST", self._path, {"config": {"sampleRate": SAMPLE_RATE}})

    def detach(self) -> None:
        for online in _api(self._system, "GET", self._path)["data"]:
            _api(self._system, "DELETE", f"{self._path}/{online['id']}")


def run_cases(
    system: stack.Stack, profile: Profile, tmp: Path, cpu: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Both cases alternating, round after round; the runs and the calls wrk made."""
    runs: list[dict[str, Any]] = []
    served = 0
    evaluator = Evaluator(system)
    call = system.call("gateway-openai", False)
    script = wrk.write_script(tmp / "evaluators.lua", call.body, call.headers)
    for round_ in range(profile.rounds):
        for name in CASES:
            if name == "evaluated":
                evaluator.attach()
            warm = wrk.run(call.url, script, CONCURRENCY, profile.warmup_seconds, cpu)
            cpu_before = procstat.cpu_seconds(system.heliograph.pid)
            result = wrk.run(call.url, script, CONCURRENCY, profile.seconds, cpu)
            cpu_s = procstat.cpu_seconds(system.heliograph.pid) - cpu_before
            online = _online(system)
            if name == "evaluated":
                evaluator.detach()
            served += warm.requests + result.requests
            per_request = round(cpu_s / result.requests * 1000, 4) if result.requests else 0.0
            runs.append(
                {"case": name, "round": round_, "errors": warm.errors + result.errors}
                | {"cpu_ms_per_request": per_request, "online_evaluation": online}
                | result.as_dict()
            )
            print(
                f"  round {round_} {name:<9} {result.requests_per_s:>8,.0f} req/s  "
                f"CPU {per_request:.3f} ms/request  evaluation {online}",
                file=sys.stderr,
                flush=True,
            )
    return runs, served


def comparison(runs: list[dict[str, Any]]) -> dict[str, Any]:
    medians = {
        name: statistics.median(r["requests_per_s"] for r in runs if r["case"] == name)
        for name in CASES
    }
    cpu = {
        name: statistics.median(r["cpu_ms_per_request"] for r in runs if r["case"] == name)
        for name in CASES
    }
    plain, evaluated = medians["plain"], medians["evaluated"]
    return {
        "concurrency": CONCURRENCY,
        "sample_rate_percent": SAMPLE_RATE,
        "plain_requests_per_s": round(plain),
        "evaluated_requests_per_s": round(evaluated),
        "throughput_ratio": round(evaluated / plain, 3) if plain else None,
        "plain_cpu_ms_per_request": cpu["plain"],
        "evaluated_cpu_ms_per_request": cpu["evaluated"],
    }


def benchmark(profile: Profile, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    return ab_runs.benchmark(
        "evaluators",
        profile,
        tmp,
        lambda system, cpu: run_cases(system, profile, tmp, cpu),
        comparison,
        lambda r: f"round {r['round']}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evaluators", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="one round of 2 s")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out
    refused = harness.cannot_run("bench.evaluators")
    if refused is not None:
        return refused

    def body(tmp: Path) -> int:
        document, problems = benchmark(profile, tmp)
        c = document["comparison"]
        print(
            f"Online evaluation at {SAMPLE_RATE}% (c={CONCURRENCY}): plain "
            f"{c['plain_requests_per_s']:,} req/s, evaluated {c['evaluated_requests_per_s']:,} "
            f"req/s, ratio {c['throughput_ratio']}"
        )
        return harness.conclude("bench.evaluators", out, document, problems)

    return harness.run_main("bench.evaluators", body)


if __name__ == "__main__":
    sys.exit(main())

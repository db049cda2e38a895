"""What prompt assembly costs on the unified gateway: a chat completion sent as `prompt_id` +
`inputs` against the same completion with its messages inline, in one Heliograph process.

    python -m bench.prompts           # c=1 and 16, 3 rounds of 10 s per case (+2 s warm-up)
    python -m bench.prompts --smoke   # c=16, 1 round of 2 s

The saved prompt (created over the REST API first) assembles into exactly the inline body
(bench.fixtures' request, model `gpt-4o-mini/openai`): one `{{hc:thing:string}}` variable
filled from `inputs`. Both calls are checked first: a 200 each, and the two logged request
bodies equal. At each concurrency the two cases alternate, round after round, so that a
noisy machine weighs on both alike; the ratios are of the medians over the rounds (P50 at
c=1, requests per second at c=16), with Heliograph's CPU time a request beside them (what
other work on the machine changes least). Heliograph runs on CPU 0, nginx and wrk on CPU 1, as in
bench.proxy. The target: prompt P50 at most 0.1 ms over inline, throughput at most 10% less.

Results: a table on stdout and bench/results/prompts-latest.json (prompts-smoke.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ab_runs, harness, procstat, stack, wrk
from bench.checks import check_call
from bench.fixtures import request_body
from bench.processes import BenchError

RESULTS_DIR = Path(__file__).parent / "results"
MODEL = stack.GATEWAY_MODELS["gateway-openai"]
CASES = ("inline", "prompt")


@dataclass(frozen=True)
class Profile:
    name: str
    concurrencies: tuple[int, ...]
    rounds: int
    seconds: int
    warmup_seconds: int
    out: Path


FULL = Profile("full", (1, 16), 3, 10, 2, RESULTS_DIR / "prompts-latest.json")
SMOKE = Profile("smoke", (16,), 1, 2, 1, RESULTS_DIR / "prompts-smoke.json")


def _saved_body() -> dict[str, Any]:
    """The inline request with its subject made a variable: it assembles back into it."""
    body: dict[str, Any] = json.loads(request_body(False, MODEL))
    user = body["messages"][1]
    user["content"] = user["content"].replace("a reverse proxy", "a {{hc:thing:string}}")
    return body


def _api(system: stack.Stack, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        system.heliograph_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {system.api_key}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def calls(system: stack.Stack) -> dict[str, stack.Call]:
    """The two cases' calls, checked: both answered, both logged with the same body."""
    created = _api(
        system, "POST", "/v1/prompt-2025", {"name": "bench", "promptBody": _saved_body()}
    )
    inline = system.call("gateway-openai", False)
    prompt_body = {"prompt_id": created["id"], "inputs": {"thing": "reverse proxy"}}
    prompt = stack.Call(inline.url, inline.headers, json.dumps(prompt_body))
    logged = []
    for name, call in (("inline", inline), ("prompt", prompt)):
        request_id = str(uuid.uuid4())
        checked = stack.Call(
            call.url, {**call.headers, "Helicone-Request-Id": request_id}, call.body
        )
        check_call(checked, False, None, f"{name} check call")
        logged.append(_logged_body(system, request_id))
    if logged[0] != logged[1]:
        raise BenchError(f"the prompt assembled into {logged[1]}, not the inline {logged[0]}")
    return {"inline": inline, "prompt": prompt}


def _logged_body(system: stack.Stack, request_id: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        try:
            return _api(system, "GET", f"/v1/request/{request_id}")["request_body"]
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"request {request_id} was not logged") from None
            time.sleep(0.1)


def run_cases(
    system: stack.Stack, profile: Profile, tmp: Path, cpu: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Both cases alternating, per concurrency and round; returns the runs and calls served."""
    runs: list[dict[str, Any]] = []
    served = 2
    cases = calls(system)
    for concurrency in profile.concurrencies:
        for round_ in range(profile.rounds):
            for name in CASES:
                call = cases[name]
                script = wrk.write_script(tmp / f"prompts-{name}.lua", call.body, call.headers)
                warm = wrk.run(call.url, script, concurrency, profile.warmup_seconds, cpu)
                cpu_before = procstat.cpu_seconds(system.heliograph.pid)
                result = wrk.run(call.url, script, concurrency, profile.seconds, cpu)
                per_1000 = _per_1000(
                    procstat.cpu_seconds(system.heliograph.pid) - cpu_before, result
                )
                served += warm.requests + result.requests
                errors = warm.errors + result.errors
                run = {"case": name, "concurrency": concurrency, "round": round_}
                runs.append(
                    run | {"errors": errors, "cpu_ms_per_request": per_1000, **result.as_dict()}
                )
                print(
                    f"  c={concurrency:<3} round {round_} {name:<7} "
                    f"{result.requests_per_s:>8,.0f} req/s  P50 {result.p50_us / 1000:.3f} ms  "
                    f"CPU {per_1000:.3f} ms/request",
                    file=sys.stderr,
                    flush=True,
                )
    return runs, served


def _per_1000(cpu_seconds: float, result: wrk.WrkResult) -> float:
    """Heliograph's CPU milliseconds a request: what a busy machine changes least."""
    return round(cpu_seconds / result.requests * 1000, 4) if result.requests else 0.0


def comparison(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per concurrency: each case's median P50 and req/s over the rounds, and the ratios."""
    rows = []
    for concurrency in sorted({r["concurrency"] for r in runs}):
        medians = {}
        for name in CASES:
            mine = [r for r in runs if r["concurrency"] == concurrency and r["case"] == name]
            medians[name] = (
                statistics.median(r["p50_us"] for r in mine),
                statistics.median(r["requests_per_s"] for r in mine),
                statistics.median(r["cpu_ms_per_request"] for r in mine),
            )
        inline_p50, inline_rps, inline_cpu = medians["inline"]
        prompt_p50, prompt_rps, prompt_cpu = medians["prompt"]
        rows.append(
            {
                "concurrency": concurrency,
                "inline_p50_ms": round(inline_p50 / 1000, 3),
                "prompt_p50_ms": round(prompt_p50 / 1000, 3),
                "added_p50_ms": round((prompt_p50 - inline_p50) / 1000, 3),
                "inline_requests_per_s": round(inline_rps),
                "prompt_requests_per_s": round(prompt_rps),
                "throughput_ratio": round(prompt_rps / inline_rps, 3) if inline_rps else None,
                "inline_cpu_ms_per_request": inline_cpu,
                "prompt_cpu_ms_per_request": prompt_cpu,
                "cpu_ratio": round(prompt_cpu / inline_cpu, 3) if inline_cpu else None,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "  c   inline P50  prompt P50  added      inline req/s  prompt req/s  ratio"
        "  CPU ms/request inline, prompt, ratio"
    ]
    for r in rows:
        lines.append(
            f"  {r['concurrency']:<3} {r['inline_p50_ms']:>7.3f} ms  {r['prompt_p50_ms']:>7.3f} ms"
            f"  {r['added_p50_ms']:>+6.3f} ms  {r['inline_requests_per_s']:>12,}"
            f"  {r['prompt_requests_per_s']:>12,}  {r['throughput_ratio']}"
            f"  {r['inline_cpu_ms_per_request']:.3f}, {r['prompt_cpu_ms_per_request']:.3f},"
            f" {r['cpu_ratio']}"
        )
    return "\n".join(lines)


def benchmark(profile: Profile, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    return ab_runs.benchmark(
        "prompts",
        profile,
        tmp,
        lambda system, cpu: run_cases(system, profile, tmp, cpu),
        comparison,
        lambda r: f"c={r['concurrency']}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.prompts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="c=16, one round of 2 s")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    out: Path = args.out or profile.out
    refused = harness.cannot_run("bench.prompts")
    if refused is not None:
        return refused

    def body(tmp: Path) -> int:
        document, problems = benchmark(profile, tmp)
        print("Prompt assembly on the unified gateway (prompt_id + inputs against inline):")
        print(table(document["comparison"]))
        return harness.conclude("bench.prompts", out, document, problems)

    return harness.run_main("bench.prompts", body)


if __name__ == "__main__":
    sys.exit(main())

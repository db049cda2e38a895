"""The system under test: nginx as the fake provider, Heliograph in front of it."""

from __future__ import annotations

import os
import secrets
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import nginx
from bench.fixtures import completion_body, request_body
from bench.processes import (
    BenchError,
    Service,
    free_port,
    get_json,
    wait_until_listening,
    wait_until_serving,
)

PROVIDER_KEY = "sk-fake-provider"
HELIOGRAPH_ROUTE = "/openai" + nginx.CHAT_PATH  # the OpenAI passthrough route


@dataclass(frozen=True)
class Cpus:
    """Where each process runs; None everywhere when the machine has fewer than two CPUs."""

    heliograph: str | None
    load: str | None  # nginx and wrk share this one

    @classmethod
    def detect(cls) -> Cpus:
        available = os.sched_getaffinity(0)
        if {0, 1} <= available:
            return cls(heliograph="0", load="1")
        return cls(heliograph=None, load=None)


@dataclass
class Stack:
    nginx: Service
    heliograph: Service
    direct_url: str
    heliograph_url: str
    health_url: str
    api_key: str

    def headers(self, target: str, stream: bool) -> dict[str, str]:
        """The request headers for one target ("direct" or "heliograph") and response kind."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {PROVIDER_KEY}"}
        if target == "heliograph":
            headers["Helicone-Auth"] = f"Bearer {self.api_key}"
        if stream:
            headers[nginx.STREAM_HEADER] = "1"
        return headers

    def url(self, target: str) -> str:
        return self.heliograph_url if target == "heliograph" else self.direct_url

    def pipeline(self) -> dict[str, Any]:
        stats: dict[str, Any] = get_json(self.health_url)["log_pipeline"]
        return stats

    def stop(self) -> None:
        """Heliograph first (it may still be talking to nginx), each by its process group."""
        for service in (self.heliograph, self.nginx):
            service.stop()


def start(tmp: Path, cpus: Cpus) -> Stack:
    """Start nginx, then Heliograph pointed at it; stops what started if a step fails."""
    nginx_port, heliograph_port = _ports()
    config = nginx.write_config(tmp, nginx_port)
    fake = Service("nginx", nginx.command(tmp, config), tmp / "nginx.out", cpu=cpus.load)
    started = [fake]
    try:
        wait_until_listening(fake, nginx_port, timeout_s=10)
        api_key = "sk-helicone-bench-" + secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELIOGRAPH_")}
        # BENCH_HELIOGRAPH_X=v runs Heliograph with HELIOGRAPH_X=v, for comparing settings.
        env |= {
            k.removeprefix("BENCH_"): v
            for k, v in os.environ.items()
            if k.startswith("BENCH_HELIOGRAPH_")
        }
        env["HELIOGRAPH_API_KEY"] = api_key
        env["HELIOGRAPH_OPENAI_BASE_URL"] = f"http://127.0.0.1:{nginx_port}"
        command = [sys.executable, "-m", "heliograph", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(heliograph_port), "--data-dir", str(tmp / "heliograph-data")]
        gateway = Service("heliograph", command, tmp / "heliograph.log", env, cpus.heliograph)
        started.append(gateway)
        base = f"http://127.0.0.1:{heliograph_port}"
        wait_until_serving(gateway, base + "/healthz", timeout_s=90)
    except BaseException:
        for service in reversed(started):
            service.stop()
        raise
    return Stack(
        nginx=fake,
        heliograph=gateway,
        direct_url=f"http://127.0.0.1:{nginx_port}{nginx.CHAT_PATH}",
        heliograph_url=base + HELIOGRAPH_ROUTE,
        health_url=base + "/healthz",
        api_key=api_key,
    )


def _ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def check_responses(stack: Stack) -> int:
    """One call per target and kind, checked by content; returns the calls Heliograph served."""
    for target in ("direct", "heliograph"):
        for stream in (False, True):
            request = urllib.request.Request(
                stack.url(target),
                data=request_body(stream).encode(),
                headers=stack.headers(target, stream),
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status, body = response.status, response.read().decode()
            except OSError as exc:
                raise stack.heliograph.failure(f"{target} check call failed: {exc}") from None
            _check_body(target, stream, status, body)
    return 2


def _check_body(target: str, stream: bool, status: int, body: str) -> None:
    what = f"{target} {'stream' if stream else 'completion'} check call"
    if status != 200:
        raise BenchError(f"{what}: status {status}: {body[:300]}")
    if not stream and body != completion_body():
        raise BenchError(f"{what}: body differs from the canned completion: {body[:300]}")
    if stream:
        events = [e for e in body.split("\n\n") if e.strip()]
        content = [e for e in events if '"content":' in e]
        if len(content) != 20 or events[-1] != "data: [DONE]":
            raise BenchError(f"{what}: not 20 content chunks then [DONE]: {body[-300:]}")


def wait_for_drain(stack: Stack, at_least: int, timeout_s: float) -> dict[str, Any]:
    """Poll /healthz until the pipeline stored all it was given (and at least `at_least`)."""
    deadline = time.monotonic() + timeout_s
    stats = stack.pipeline()
    while time.monotonic() < deadline:
        if stats["submitted"] >= at_least and stats["stored"] >= stats["submitted"]:
            return {**stats, "drained": True}
        time.sleep(0.25)
        stats = stack.pipeline()
    return {**stats, "drained": False}

"""The system under test: nginx as the fake provider, Heliograph in front of it, and the
call each target gets: straight to nginx, Heliograph's OpenAI passthrough route, or its
unified gateway with an OpenAI or an Anthropic model.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import nginx
from bench.fixtures import ANTHROPIC_MODEL, MODEL, request_body
from bench.processes import (
    Service,
    free_port,
    get_json,
    wait_until_listening,
    wait_until_serving,
)

PROVIDER_KEY = "sk-fake-provider"
ANTHROPIC_PROVIDER_KEY = "sk-ant-fake-provider"
PASSTHROUGH_ROUTE = "/openai" + nginx.CHAT_PATH  # the OpenAI passthrough route
GATEWAY_ROUTE = "/v1/chat/completions"  # the unified gateway
# The unified gateway's targets and the model string each sends.
GATEWAY_MODELS = {
    "gateway-openai": f"{MODEL}/openai",
    "gateway-anthropic": f"{ANTHROPIC_MODEL}/anthropic",
}
TARGETS = ("direct", "passthrough", *GATEWAY_MODELS)


@dataclass(frozen=True)
class Call:
    """One benchmark request, the same for the check call and for wrk."""

    url: str
    headers: dict[str, str]
    body: str


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
    direct_url: str  # nginx's OpenAI chat endpoint
    heliograph_url: str  # Heliograph's base URL
    api_key: str  # the Heliograph key

    def call(self, target: str, stream: bool) -> Call:
        """The request for one of TARGETS; nginx answers by the `stream` flag in the body."""
        headers = {"Content-Type": "application/json"}
        if target in GATEWAY_MODELS:
            headers["Authorization"] = f"Bearer {self.api_key}"
            url = self.heliograph_url + GATEWAY_ROUTE
            return Call(url, headers, request_body(stream, GATEWAY_MODELS[target]))
        headers["Authorization"] = f"Bearer {PROVIDER_KEY}"
        if target == "direct":
            return Call(self.direct_url, headers, request_body(stream))
        if target != "passthrough":
            raise ValueError(f"unknown target {target!r}")
        headers["Helicone-Auth"] = f"Bearer {self.api_key}"
        return Call(self.heliograph_url + PASSTHROUGH_ROUTE, headers, request_body(stream))

    def pipeline(self) -> dict[str, Any]:
        stats: dict[str, Any] = get_json(self.heliograph_url + "/healthz")["log_pipeline"]
        return stats

    def stop(self) -> None:
        """Heliograph first (it may still be talking to nginx), each by its process group."""
        for service in (self.heliograph, self.nginx):
            service.stop()


def start(tmp: Path, cpus: Cpus, settings: Mapping[str, str] | None = None) -> Stack:
    """Start nginx, then Heliograph pointed at it; stops what started if a step fails.

    `settings` (HELIOGRAPH_X -> value) override the environment and BENCH_HELIOGRAPH_X.
    """
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
        env |= settings or {}
        env["HELIOGRAPH_API_KEY"] = api_key
        upstream = f"http://127.0.0.1:{nginx_port}"
        env["HELIOGRAPH_OPENAI_BASE_URL"] = env["HELIOGRAPH_ANTHROPIC_BASE_URL"] = upstream
        env["HELIOGRAPH_OPENAI_API_KEY"] = PROVIDER_KEY  # the gateway sends these upstream
        env["HELIOGRAPH_ANTHROPIC_API_KEY"] = ANTHROPIC_PROVIDER_KEY
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
        direct_url=upstream + nginx.CHAT_PATH,
        heliograph_url=base,
        api_key=api_key,
    )


def _ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


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

"""The fake provider (nginx, or bench.pyfake without it), Heliograph in front of it, and the
call each of bench.proxy's targets gets: straight to the fake, Heliograph's OpenAI
passthrough route, or its unified gateway with an OpenAI or an Anthropic model.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import nginx
from bench.fixtures import ANTHROPIC_MODEL, MODEL, request_body
from bench.processes import (
    BENCH_ROOT,
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

    def stop(self) -> None:
        """Heliograph first (it may still be talking to nginx), each by its process group."""
        for service in (self.heliograph, self.nginx):
            service.stop()


def start_fake(tmp: Path, cpu: str | None, stand_in: bool = False) -> tuple[Service, str]:
    """The canned fake provider: nginx, or bench.pyfake with `stand_in` or without nginx.

    Returns the service and its base URL."""
    port = free_port()
    if shutil.which("nginx") and not stand_in:
        config = nginx.write_config(tmp, port)
        command = nginx.command(tmp, config)
    else:
        command = [sys.executable, "-m", "bench.pyfake", "--port", str(port)]
    fake = Service("fake provider", command, tmp / "fake-provider.log", cwd=BENCH_ROOT, cpu=cpu)
    try:
        wait_until_listening(fake, port, timeout_s=20)
    except BaseException:
        fake.stop()
        raise
    return fake, f"http://127.0.0.1:{port}"


def start_heliograph(
    tmp: Path,
    cpu: str | None,
    upstream: str,
    settings: Mapping[str, str] | None = None,
    serve_args: tuple[str, ...] = (),
) -> tuple[Service, str, str]:
    """One Heliograph (`heliograph serve`, one process logging into chDB, unless
    `serve_args` say otherwise, e.g. --workers 2) pointed at `upstream`.

    `settings` (HELIOGRAPH_X -> value) override the environment and BENCH_HELIOGRAPH_X.
    Returns the service, its base URL and its API key.
    """
    port = free_port()
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
    env["HELIOGRAPH_OPENAI_BASE_URL"] = env["HELIOGRAPH_ANTHROPIC_BASE_URL"] = upstream
    env["HELIOGRAPH_OPENAI_API_KEY"] = PROVIDER_KEY  # the gateway sends these upstream
    env["HELIOGRAPH_ANTHROPIC_API_KEY"] = ANTHROPIC_PROVIDER_KEY
    data_dir = tmp / "heliograph-data"
    command = [sys.executable, "-m", "heliograph", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir), *serve_args]
    gateway = Service("heliograph", command, tmp / "heliograph.log", env, cpu)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(gateway, base + "/healthz", timeout_s=90)
    except BaseException:
        gateway.stop()
        raise
    return gateway, base, api_key


def start(tmp: Path, cpus: Cpus, settings: Mapping[str, str] | None = None) -> Stack:
    """Start the fake provider, then Heliograph pointed at it; stops what started if a step
    fails. `settings` as for start_heliograph."""
    fake, upstream = start_fake(tmp, cpus.load)
    try:
        gateway, base, api_key = start_heliograph(tmp, cpus.heliograph, upstream, settings)
    except BaseException:
        fake.stop()
        raise
    return Stack(
        nginx=fake,
        heliograph=gateway,
        direct_url=upstream + nginx.CHAT_PATH,
        heliograph_url=base,
        api_key=api_key,
    )


def pipeline_stats(base_url: str) -> dict[str, Any]:
    """Heliograph's log pipeline counters from /healthz."""
    stats: dict[str, Any] = get_json(base_url + "/healthz")["log_pipeline"]
    return stats


def rows_stored(stats: dict[str, Any]) -> int:
    """Rows in the store: from batches as they came, and from spooled segments replayed (a
    pipeline falling over 20,000 rows behind leaves the rest on disk for the replay)."""
    return int(stats["stored"]) + int(stats["replayed"])


def all_stored(stats: dict[str, Any]) -> bool:
    return rows_stored(stats) >= int(stats["submitted"]) and int(stats["backlog_segments"]) == 0


def drain(base_url: str, at_least: int, timeout_s: float) -> dict[str, Any]:
    """Poll /healthz until the pipeline stored all it was given (and at least `at_least`)."""
    deadline = time.monotonic() + timeout_s
    stats = pipeline_stats(base_url)
    while time.monotonic() < deadline:
        if stats["submitted"] >= at_least and all_stored(stats):
            return {**stats, "drained": True}
        time.sleep(0.25)
        stats = pipeline_stats(base_url)
    return {**stats, "drained": False}


def wait_for_drain(stack: Stack, at_least: int, timeout_s: float) -> dict[str, Any]:
    return drain(stack.heliograph_url, at_least, timeout_s)

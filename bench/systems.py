"""The systems compared by bench.compare, each started its own way and called the same way:
an OpenAI chat completion (1 KB JSON, or a 20-chunk stream) for model gpt-4o-mini, which
each system relays to the same canned fake provider.

  direct      the fake provider itself, called as an OpenAI client would: the baseline;
  bare        bench.bare_relay: a raw ASGI app on uvicorn relaying through one pooled aiohttp
              session, with no logging and no parsing: the least a Python relay can do on
              this machine, Heliograph's floor (not a peer);
  heliograph  one Heliograph process (one worker, every call logged into chDB with its
              bodies), on its unified gateway (`gpt-4o-mini/openai`) or, with
              route="passthrough", on its OpenAI passthrough route with Helicone-Auth;
  litellm     LiteLLM's proxy (one uvicorn worker, no database), a config.yaml model
              `gpt-4o-mini` -> openai/gpt-4o-mini at the fake's api_base;
  portkey     Portkey's open-source gateway on Node, told the provider and the fake's URL
              by `x-portkey-provider: openai` and `x-portkey-custom-host`.

LiteLLM and Portkey come from `make bench-tools` (bench/.venv-litellm, bench/portkey/node_modules).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import nginx, stack
from bench.fixtures import MODEL, request_body
from bench.processes import (
    BENCH_ROOT,
    BenchError,
    Service,
    free_port,
    wait_until_serving,
)
from bench.stack import Call

LITELLM = BENCH_ROOT / "bench" / ".venv-litellm" / "bin" / "litellm"
PORTKEY = (
    BENCH_ROOT / "bench" / "portkey" / "node_modules" / "@portkey-ai" / "gateway" / "build"
) / "start-server.js"
NAMES = ("direct", "bare", "heliograph", "litellm", "portkey")
PEERS = ("litellm", "portkey")


@dataclass
class System:
    name: str
    service: Service  # the process tree whose memory and CPU time are measured
    url: str  # its OpenAI chat completions URL
    headers: dict[str, str]
    model: str
    # Whether a stream ends with OpenAI's usage-only chunk: the fake sends one unasked;
    # Heliograph asks for it and keeps it from a caller who did not; None: not checked.
    usage_chunk: bool | None
    owned: bool = True  # False for direct: the fake outlives it
    details: dict[str, str] = field(default_factory=dict)
    base_url: str = ""  # Heliograph's, for /healthz

    def call(self, stream: bool) -> Call:
        headers = {"Content-Type": "application/json", **self.headers}
        return Call(self.url, headers, request_body(stream, self.model))

    def stop(self) -> None:
        if self.owned:
            self.service.stop()


def direct(fake: Service, upstream: str) -> System:
    headers = {"Authorization": f"Bearer {stack.PROVIDER_KEY}"}
    return System("direct", fake, upstream + nginx.CHAT_PATH, headers, MODEL, True, owned=False)


def bare(tmp: Path, cpu: str | None, upstream: str) -> System:
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_relay", "--port", str(port)]
    command += ["--upstream", upstream]
    service = Service("bare", command, tmp / "bare-relay.log", cpu=cpu, cwd=BENCH_ROOT)
    base = f"http://127.0.0.1:{port}"
    _wait_or_stop(service, lambda: wait_until_serving(service, base + "/healthz", 30))
    headers = {"Authorization": f"Bearer {stack.PROVIDER_KEY}"}
    # It relays the fake's stream as it is, the usage-only chunk the fake sends unasked too.
    return System("bare", service, base + nginx.CHAT_PATH, headers, MODEL, True)


def heliograph(tmp: Path, cpu: str | None, upstream: str, route: str = "gateway") -> System:
    service, base, api_key = stack.start_heliograph(tmp, cpu, upstream)
    details = {"route": route}
    if route == "passthrough":
        headers = {
            "Authorization": f"Bearer {stack.PROVIDER_KEY}",
            "Helicone-Auth": f"Bearer {api_key}",
        }
        url, model = base + stack.PASSTHROUGH_ROUTE, MODEL
    else:
        headers = {"Authorization": f"Bearer {api_key}"}
        url, model = base + stack.GATEWAY_ROUTE, stack.GATEWAY_MODELS["gateway-openai"]
    return System("heliograph", service, url, headers, model, False, details=details, base_url=base)


def litellm(tmp: Path, cpu: str | None, upstream: str) -> System:
    if not LITELLM.exists():
        raise BenchError(f"LiteLLM is not installed at {LITELLM}: run `make bench-tools`")
    port = free_port()
    master_key = "sk-litellm-bench-" + secrets.token_hex(24)
    config = tmp / "litellm-config.yaml"
    model = {
        "model_name": MODEL,
        "litellm_params": {
            "model": f"openai/{MODEL}",
            "api_base": upstream + "/v1",
            "api_key": stack.PROVIDER_KEY,
        },
    }
    # JSON is YAML: no YAML writer needed here.
    config.write_text(json.dumps({"model_list": [model]}, indent=2))
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # never fetch the price list
        "LITELLM_MASTER_KEY": master_key,
        "LITELLM_LOG": "ERROR",
    }
    env.pop("DATABASE_URL", None)  # no spend logs: LiteLLM logs only with a PostgreSQL
    command = [str(LITELLM), "--config", str(config), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--num_workers", "1", "--telemetry", "False"]
    service = Service("litellm", command, tmp / "litellm.log", env, cpu, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    _wait_or_stop(service, lambda: wait_until_serving(service, base + "/health/liveliness", 180))
    headers = {"Authorization": f"Bearer {master_key}"}
    return System("litellm", service, base + "/v1/chat/completions", headers, MODEL, None)


def portkey(tmp: Path, cpu: str | None, upstream: str) -> System:
    node = shutil.which("node")
    if node is None or not PORTKEY.exists():
        raise BenchError(f"Portkey's gateway is not installed at {PORTKEY}: run `make bench-tools`")
    port = free_port()
    # start-server.js reads only `--port=N` (with the equals sign); --headless: no UI, no
    # log stream to it.
    command = [node, str(PORTKEY), f"--port={port}", "--headless"]
    env = {**os.environ, "NODE_ENV": "production"}
    service = Service("portkey", command, tmp / "portkey.log", env, cpu, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    _wait_or_stop(service, lambda: wait_until_serving(service, base + "/", 60))
    headers = {
        "Authorization": f"Bearer {stack.PROVIDER_KEY}",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": upstream + "/v1",
    }
    return System("portkey", service, base + "/v1/chat/completions", headers, MODEL, None)


def versions() -> dict[str, str]:
    """The peers' versions as installed by `make bench-tools`."""
    found = {"litellm": "not installed", "portkey": "not installed", "node": "not installed"}
    metadata = sorted(LITELLM.parent.parent.glob("lib/python*/site-packages/litellm-*.dist-info"))
    if metadata:
        found["litellm"] = metadata[-1].name.removeprefix("litellm-").removesuffix(".dist-info")
    package = PORTKEY.parent.parent / "package.json"
    if package.exists():
        found["portkey"] = json.loads(package.read_text())["version"]
    node = shutil.which("node")
    if node:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
        found["node"] = done.stdout.strip()
    return found


def _wait_or_stop(service: Service, wait: Callable[[], None]) -> None:
    try:
        wait()
    except BaseException:
        service.stop()
        raise


def start(
    name: str, tmp: Path, cpu: str | None, fake: Service, upstream: str, route: str
) -> System:
    """Start one of NAMES (direct: nothing to start) pinned to `cpu`."""
    workdir = tmp / name
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "direct":
        return direct(fake, upstream)
    if name == "bare":
        return bare(workdir, cpu, upstream)
    if name == "heliograph":
        return heliograph(workdir, cpu, upstream, route)
    if name == "litellm":
        return litellm(workdir, cpu, upstream)
    if name == "portkey":
        return portkey(workdir, cpu, upstream)
    raise ValueError(f"unknown system {name!r}")

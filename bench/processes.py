"""Starting and stopping the benchmark's processes, each in its own process group."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BENCH_ROOT = Path(__file__).resolve().parent.parent  # the checkout: `python -m bench.x` runs here
REQUIRED_TOOLS = {
    "nginx": "apt-get install -y nginx-light (or nginx)",
    "wrk": "apt-get install -y wrk",
    "h2load": "apt-get install -y nghttp2-client",
    "taskset": "apt-get install -y util-linux",
}
INSTALL_HINT = "`make bench-tools` installs them"


class BenchError(RuntimeError):
    """The benchmark cannot run or its results cannot be trusted."""


def missing_tools(tools: tuple[str, ...] = tuple(REQUIRED_TOOLS)) -> list[str]:
    """One line per required command not on PATH, saying how to install it."""
    return [
        f"{tool} not found on PATH (Debian: {REQUIRED_TOOLS[tool]}; {INSTALL_HINT})"
        for tool in tools
        if shutil.which(tool) is None
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[Any], grace_s: float = 10.0) -> int | None:
    """SIGTERM the process's group, then SIGKILL it if it is still there after `grace_s`."""
    if process.poll() is not None:
        return process.returncode
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            return process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
    return None


class Service:
    """A long-running server: its own session, output to a log file, stopped by group."""

    def __init__(
        self,
        name: str,
        command: list[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cpu: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self.exit_code: int | None = None
        if cpu is not None:
            command = ["taskset", "-c", cpu, *command]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int | None:
        self.exit_code = terminate(self.process)
        return self.exit_code

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_errors(self) -> list[str]:
        """Lines of the service's output that report an error or a traceback."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]

    def failure(self, message: str) -> BenchError:
        return BenchError(f"{message}\n--- last lines of {self.log_path} ---\n{self.log_tail()}")


def get_json(url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def wait_until_serving(service: Service, url: str, timeout_s: float) -> None:
    """Poll `url` until it answers 2xx; fail early when the service has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not service.alive():
            raise service.failure(f"{service.name} exited with {service.process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise service.failure(f"{service.name} did not answer {url} within {timeout_s:.0f} s")


def wait_until_listening(service: Service, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not service.alive():
            raise service.failure(f"{service.name} exited with {service.process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise service.failure(f"{service.name} did not listen on port {port} in {timeout_s:.0f} s")

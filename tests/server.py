"""Running the real `heliograph serve` as a subprocess for end-to-end tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

STARTUP_TIMEOUT_S = 60.0
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_descriptors(pid: int) -> int:
    """How many file descriptors process `pid` holds now."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def clean_environ() -> dict[str, str]:
    """The test process environment without provider keys or Heliograph settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HELIOGRAPH_") and not key.endswith("_API_KEY")
    }


def server_settings(
    api_key: str, provider_url: str, env: Mapping[str, str] | None
) -> dict[str, str]:
    """The settings every test server starts with: its key, the fake provider, fast logging."""
    return {
        "HELIOGRAPH_API_KEY": api_key,
        "HELIOGRAPH_OPENAI_BASE_URL": provider_url,
        "HELIOGRAPH_ANTHROPIC_BASE_URL": provider_url,
        "HELIOGRAPH_LOG_BATCH_MS": "50",
        **(env or {}),
    }


class HeliographProcess:
    """One `heliograph serve` process on a free port with its own data dir."""

    def __init__(
        self,
        data_dir: Path,
        provider_url: str,
        api_key: str = "sk-helicone-test-0000-key",
        env: Mapping[str, str] | None = None,
        workers: int = 1,
        role: str = "serve",  # or "gateway": the gateway role
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.role = role
        self.api_key = api_key
        self.port = 0  # the server picks a free one at its first start and says which
        self.url = ""
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self._env = clean_environ() | server_settings(api_key, provider_url, env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HeliographProcess:
        """Start the server and wait until it answers. The first start binds port 0 and reads
        the port the server chose from its output (a port picked here and passed on could be
        taken by another process meanwhile); a restart binds the same port again."""
        command = [sys.executable, "-m", "heliograph", self.role]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        command += ["--workers", str(self.workers)] if self.workers > 1 else []
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=self._env, stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"heliograph exited at start-up:\n{self.log()}")
            if not self.url:
                self._read_port(offset)
            else:
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"heliograph did not answer within {STARTUP_TIMEOUT_S}s:\n{self.log()}")

    def _read_port(self, offset: int) -> None:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            found = LISTENING.search(log.read().decode(errors="replace"))
        if found:
            self.port = int(found.group(1))
            self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def create_key(self, org: str) -> str:
        """A new API key for organization `org` (created if missing), via the real CLI."""
        result = subprocess.run(
            [
                *(sys.executable, "-m", "heliograph", "keys", "create", "--name", "test"),
                *("--org", org, "--create-org", "--data-dir", str(self.data_dir)),
            ],
            env=self._env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def create_user(self, email: str, password: str, org: str) -> subprocess.CompletedProcess[str]:
        """A dashboard user of organization `org` (created if missing) via the real CLI; the
        result holds the CLI's output and exit code."""
        return subprocess.run(
            [
                *(sys.executable, "-m", "heliograph", "users", "create", "--email", email),
                *("--org", org, "--create-org", "--data-dir", str(self.data_dir)),
            ],
            env=self._env | {"HELIOGRAPH_USER_PASSWORD": password},
            capture_output=True,
            text=True,
        )

    @property
    def auth(self) -> dict[str, str]:
        return {"Helicone-Auth": f"Bearer {self.api_key}"}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to `path` (as InProcessServer.request: tests may use either)."""
        return httpx.request(method, self.url + path, **{"timeout": 30, **kwargs})

    def api(self, key: str | None = None) -> httpx.Client:
        """A client for the REST API, authenticated with `key` (default: the bootstrap key)."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key or self.api_key}"},
            timeout=30,
        )

    def wait_for_request(
        self, request_id: str, key: str | None = None, timeout: float = 15.0
    ) -> dict[str, Any]:
        """The logged row of a request, waiting for the log pipeline to store it."""
        with self.api(key) as client:
            return wait_for_logged_row(client, request_id, timeout)


def wait_for_logged_row(client: httpx.Client, request_id: str, timeout: float) -> dict[str, Any]:
    """GET /v1/request/{id} until the log pipeline has stored the row (either test layer)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/request/{request_id}")
        if response.status_code == 200:
            return dict(response.json()["data"])
        if time.monotonic() > deadline:
            raise AssertionError(
                f"request {request_id} not logged after {timeout}s: {response.text}"
            )
        time.sleep(0.02)

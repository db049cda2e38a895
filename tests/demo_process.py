"""`heliograph serve --demo --port 0` started as a newcomer starts it, for the tests of the demo
and of the docs' examples (which run against it)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.server import clean_environ

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class Demo:
    """One demo process on a free port with the given data dir; `url` once it answers."""

    def __init__(self, data_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"demo-{time.monotonic_ns()}.log"  # one per start
        command = [sys.executable, "-m", "heliograph", "serve", "--demo", "--port", "0"]
        command += ["--data-dir", str(data_dir)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                env=clean_environ() | dict(env or {}),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.url = self._wait_for(LISTENING).group(1)  # printed before it answers
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"the demo did not answer:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_for(self, pattern: re.Pattern[str], timeout_s: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = pattern.search(self.output())
            if found:
                return found
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        raise AssertionError(f"no {pattern.pattern!r} in:\n{self.output()}")

    def wait_for(self, text: str) -> None:
        self._wait_for(re.compile(re.escape(text)))

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

"""Running the real `heliograph` command line as a subprocess, as an operator would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.server import clean_environ


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "heliograph", *args],
        capture_output=True,
        text=True,
        env=clean_environ() | (env or {}),
        timeout=timeout,
    )


def ok(*args: str, env: dict[str, str] | None = None) -> str:
    """The command's standard output; the test fails with its stderr when it fails."""
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


class Operator:
    """The CLI pointed at one server's settings: a data dir, and a database URL if given."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.env = {"HELIOGRAPH_DATABASE_URL": database_url} if database_url else {}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--data-dir", str(self.data_dir), env=self.env)

    def ok(self, *args: str) -> str:
        return ok(*args, "--data-dir", str(self.data_dir), env=self.env)

    def json(self, *args: str) -> list[dict[str, Any]]:
        return json_lines(self.ok(*args, "--json"))

"""Checks of the deployment files that tests/test_deploy_files.py shares: a command line
against the CLI, an environment against the settings registry, a health check command
against a stub /healthz."""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import click

from heliograph.cli import main as cli
from heliograph.config import ENV_PREFIX, scalar_settings
from heliograph.settings_sources import load_settings

SETTING_VARIABLES = {ENV_PREFIX + name.upper(): name for name in scalar_settings()}
PROVIDER_VARIABLE = re.compile(rf"{ENV_PREFIX}[A-Z0-9]+_(API_KEY|BASE_URL)")


def check_command(argv: list[str]) -> None:
    """Fail unless `heliograph ARGV...` names a command of the CLI and only its options."""
    command: click.Command = cli
    context = cli.make_context("heliograph", list(argv), resilient_parsing=True)
    rest = list(argv)
    path = ["heliograph"]
    while isinstance(command, click.Group):
        assert rest, f"`{' '.join(path)}` needs a subcommand"
        sub = command.get_command(context, rest[0])
        assert sub is not None, f"`{' '.join(path)}` has no command {rest[0]!r}"
        context = sub.make_context(rest[0], rest[1:], parent=context, resilient_parsing=True)
        path.append(rest.pop(0))
        command = sub
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    known |= {"--help", "-h"}
    for word in rest:
        if word.startswith("-") and word != "-":
            option = word.split("=", 1)[0]
            assert option in known, f"`{' '.join(path)}` has no option {option}"


def check_environment(env: Mapping[str, str], where: str) -> None:
    """Fail unless every HELIOGRAPH_* name is a setting (or a provider's key or base URL) and
    the values load as a server would load them."""
    for name in env:
        if name.startswith(ENV_PREFIX):
            assert name in SETTING_VARIABLES or PROVIDER_VARIABLE.fullmatch(name), (
                f"{where}: {name} is not a setting (`heliograph settings --markdown` lists them)"
            )
    load_settings(environ={k: v for k, v in env.items() if k.startswith(ENV_PREFIX)})


class StubHealthz(http.server.BaseHTTPRequestHandler):
    """Answers GET /healthz with `status` (each server's own subclass sets it)."""

    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def run_check(command: list[str], port: int, env: Mapping[str, str] | None = None) -> int:
    """Run a health check command (python ...) here, aimed at `port` instead of 8585."""
    assert command[0] == "python", command
    argv = [sys.executable, *(word.replace("8585", str(port)) for word in command[1:])]
    done = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True, timeout=30)
    return done.returncode

"""The command line: help, version, clear one-line errors, keys, settings sources."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import heliograph
from heliograph.mock_provider import FakeProvider
from tests.cli.helpers import run_cli
from tests.server import LISTENING, clean_environ, free_port


def test_help_and_version():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "keys" in result.stdout
    assert run_cli().stdout == result.stdout  # bare `heliograph` prints help
    version = run_cli("--version")
    assert version.returncode == 0 and heliograph.__version__ in version.stdout
    serve_help = run_cli("serve", "--help").stdout
    for option in ("--host", "--port", "--data-dir", "--config", "--demo"):
        assert option in serve_help


def test_busy_port_is_a_one_line_error(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        == f"Error: port {port} on 127.0.0.1 is already in use (choose another with --port)"
    )


def test_unwritable_data_dir_is_a_one_line_error(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_cli("serve", "--port", str(free_port()), "--data-dir", str(blocker / "data"))
    assert result.returncode != 0
    assert result.stderr.startswith(f"Error: data dir {blocker / 'data'} is not writable")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "env", "toml", "message"),
    [
        (
            (),
            {"HELIOGRAPH_LOG_BATCH_MS": "-5"},
            "",
            "setting 'log_batch_ms' from environment variable HELIOGRAPH_LOG_BATCH_MS "
            "must be at least 10, not -5",
        ),
        (
            (),
            {"HELIOGRAPH_PROT": "8586"},
            "",
            "unknown environment variable HELIOGRAPH_PROT: did you mean HELIOGRAPH_PORT?",
        ),
        (
            ("--port", "70000"),
            {},
            "",
            "setting 'port' from --port must be at most 65535, not 70000",
        ),
        (
            (),
            {},
            'ratelimit_fail = "bogus"\n',
            "setting 'ratelimit_fail' from config file {config} "
            "must be one of 'open', 'closed', not 'bogus'",
        ),
        (
            (),
            {"HELIOGRAPH_SECRET_KEY": "not-a-fernet-key"},
            "",
            "setting 'secret_key' from environment variable HELIOGRAPH_SECRET_KEY must be a "
            "Fernet key: 32 bytes in URL-safe base64, 44 characters "
            "(`openssl rand -base64 32 | tr '+/' '-_'` makes one)",
        ),
    ],
)
def test_a_bad_setting_stops_serve_at_once_in_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], toml: str, message: str
):
    data_dir, config = tmp_path / "data", tmp_path / "heliograph.toml"
    config.write_text(toml)
    result = run_cli("serve", "--data-dir", str(data_dir), "--config", str(config), *args, env=env)
    assert result.returncode == 2  # click's status for a usage error
    assert result.stderr == f"Error: {message.format(config=config)}\n"
    assert not data_dir.exists(), "refused before anything was started"


def _serve(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`heliograph serve` on the port it chose (port 0), and its URL once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "heliograph", "serve", *args],
        env=clean_environ() | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the server says where it listens before it answers
        found = LISTENING.search(line)
        if found:
            break
    else:
        raise AssertionError(f"server exited with {process.wait()} before listening")
    url = f"http://127.0.0.1:{found.group(1)}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            httpx.get(url + "/healthz", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def test_created_key_works_and_config_file_and_env_are_read(
    tmp_path: Path, fake_provider: FakeProvider
):
    data_dir = tmp_path / "data"
    created = run_cli(
        *("keys", "create", "--name", "ci", "--org", "acme", "--create-org"),
        *("--data-dir", str(data_dir)),
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("sk-helicone-") and "acme" in created.stderr

    config = tmp_path / "heliograph.toml"
    config.write_text(
        f'data_dir = "{data_dir}"\n[providers.openai]\nbase_url = "{fake_provider.url}"\n'
    )
    process, url = _serve("--config", str(config), env={"HELIOGRAPH_PORT": "0"})
    try:
        response = httpx.post(
            url + "/openai/v1/chat/completions",
            headers={"Helicone-Auth": f"Bearer {key}"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert response.status_code == 200
        assert any(call.path == "/v1/chat/completions" for call in fake_provider.calls)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_second_server_on_same_data_dir_is_refused(tmp_path: Path):
    data_dir = tmp_path / "shared"
    first, _ = _serve("--port", "0", "--data-dir", str(data_dir))
    try:
        second = run_cli("serve", "--port", str(free_port()), "--data-dir", str(data_dir))
        assert second.returncode != 0
        assert (
            second.stderr.strip()
            == f"Error: data dir {data_dir} is in use by another Heliograph process"
        )
    finally:
        first.terminate()
        first.wait(timeout=30)

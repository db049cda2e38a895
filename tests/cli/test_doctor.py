"""`heliograph doctor`: every check against real services, healthy and broken."""

from __future__ import annotations

import os
from pathlib import Path

from heliograph.mock_provider import FakeProvider
from tests.cli.helpers import Operator, json_lines, run_cli
from tests.server import HeliographProcess

CLOSED = "127.0.0.1:9"  # nothing listens there (the tests' unreachable upstream)
REDIS = "redis://127.0.0.1:6379"


def _doctor(operator: Operator, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = operator.run("doctor", "--json", *args)
    checks = {check["check"]: check for check in json_lines(result.stdout)}
    return result.returncode, checks


def _operator(data_dir: Path, provider_url: str, **env: str) -> Operator:
    operator = Operator(data_dir)
    operator.env |= {
        "HELIOGRAPH_OPENAI_BASE_URL": provider_url,
        "HELIOGRAPH_ANTHROPIC_BASE_URL": provider_url,
        **env,
    }
    return operator


def test_a_healthy_installation_passes_every_check(tmp_path: Path, fake_provider: FakeProvider):
    operator = _operator(tmp_path / "data", fake_provider.url, HELIOGRAPH_REDIS_URL=REDIS)
    operator.ok("migrate")
    code, checks = _doctor(operator)
    assert code == 0, checks
    assert list(checks) == [
        "data dir",
        "data dir permissions",
        "free space",
        "log store",
        "metadata database (sqlite)",
        "redis",
        "provider openai",
        "provider anthropic",
    ]
    assert {check["status"] for check in checks.values()} == {"OK"}
    assert checks["log store"]["detail"] == "opens; 0 row(s)"
    assert checks["redis"]["detail"] == "answers PING"
    assert checks["provider openai"]["detail"].startswith(f"{fake_provider.url} answers (HTTP ")
    table = operator.run("doctor")
    assert table.returncode == 0 and "8 check(s)" in table.stdout and "PROBLEM" not in table.stdout


def test_each_problem_is_named_and_the_exit_code_is_1(tmp_path: Path, fake_provider: FakeProvider):
    data_dir = tmp_path / "data"
    operator = _operator(
        data_dir,
        fake_provider.url,
        HELIOGRAPH_REDIS_URL=f"redis://{CLOSED}",
        HELIOGRAPH_OPENAI_BASE_URL=f"http://{CLOSED}",
    )
    operator.ok("migrate")
    os.chmod(data_dir, 0o755)
    operator.env["HELIOGRAPH_DATABASE_URL"] = f"postgresql+psycopg://postgres@{CLOSED}/none"
    code, checks = _doctor(operator)
    assert code == 1
    problems = {name for name, check in checks.items() if check["status"] == "PROBLEM"}
    assert problems == {
        "data dir permissions",
        "metadata database (postgresql)",
        "redis",
        "provider openai",
    }
    assert checks["data dir permissions"]["detail"].startswith("mode 755: others can read")
    assert checks["provider openai"]["detail"].startswith(f"http://{CLOSED} cannot be reached")
    assert checks["provider anthropic"]["status"] == "OK"
    only = operator.run("doctor", "--provider", "anthropic")
    assert "provider openai" not in only.stdout and "4 problem" not in only.stderr
    assert only.stderr == "3 problem(s) found\n"


def test_a_running_server_answers_for_its_store(start_server, fake_provider: FakeProvider):
    server: HeliographProcess = start_server()
    operator = _operator(server.data_dir, fake_provider.url)
    code, checks = _doctor(operator, "--url", server.url)
    assert code == 0, checks
    assert checks["log store"]["detail"] == f"held by the server at {server.url}, which stores rows"
    code, checks = _doctor(operator, "--url", f"http://{CLOSED}")
    assert code == 1 and checks["log store"]["detail"].startswith(
        f"held by a server that does not answer at http://{CLOSED}"
    )


def test_a_missing_data_dir_is_a_problem(tmp_path: Path):
    result = run_cli("doctor", "--data-dir", str(tmp_path / "none"), "--provider", "x")
    assert result.returncode == 1
    assert f"{tmp_path / 'none'} does not exist" in result.stdout

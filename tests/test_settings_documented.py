"""The settings registry: every setting documented in the README, every value checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heliograph.config import ConfigError, load_settings, scalar_settings, setting_info
from heliograph.settings_table import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_table_is_the_one_the_registry_generates():
    assert markdown_table() in README.read_text(), (
        "README.md's settings table is stale: replace it with `heliograph settings --markdown`"
    )


def test_every_setting_has_help():
    assert all(setting_info(name).help for name in scalar_settings())


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HELIOGRAPH_DEMO", "ture", "'demo': cannot use 'ture'"),
        ("HELIOGRAPH_LOG_BATCH_MS", "-5", "'log_batch_ms' must be at least 1"),
        ("HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S", "-1", "'upstream_read_timeout_s' must be at least"),
        ("HELIOGRAPH_RATELIMIT_FAIL", "bogus", "'ratelimit_fail' must be one of 'open', 'closed'"),
        ("HELIOGRAPH_PORT", "70000", "'port' must be at most 65535"),
        ("HELIOGRAPH_MAX_CONNECTIONS", "1.5", "'max_connections': cannot use '1.5'"),
    ],
)
def test_a_value_outside_the_registry_s_bounds_is_refused_naming_the_setting(
    variable: str, value: str, message: str
):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={variable: value})


def test_booleans_take_the_usual_spellings():
    for text, expected in [("1", True), ("yes", True), ("On", True), ("0", False), ("off", False)]:
        assert load_settings(environ={"HELIOGRAPH_DEMO": text}).demo is expected


def test_the_settings_command_hides_secrets(tmp_path: Path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "HELIOGRAPH_API_KEY": "sk-helicone-secret-value",
        "HELIOGRAPH_DATABASE_URL": "postgresql+psycopg://app:hunter2@db/x",
        "OPENAI_API_KEY": "sk-openai-secret",
        "HELIOGRAPH_PORT": "9999",
    }
    shown = subprocess.run(
        [sys.executable, "-m", "heliograph", "settings"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert "port = 9999" in shown
    assert "api_key = (set)" in shown and "providers.openai.api_key = (set)" in shown
    for secret in ("sk-helicone-secret-value", "hunter2", "sk-openai-secret"):
        assert secret not in shown

"""The settings registry: every setting documented in the README (test_settings_validated.py
checks the values)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from heliograph.config import scalar_settings, setting_info
from heliograph.settings_table import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_table_is_the_one_the_registry_generates():
    assert markdown_table() in README.read_text(), (
        "README.md's settings table is stale: replace it with `heliograph settings --markdown`"
    )


def test_every_setting_has_help():
    assert all(setting_info(name).help for name in scalar_settings())


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

"""Every setting is in the README's settings table, so none is known only to its code."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from heliograph.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _settings_table() -> str:
    text = README.read_text()
    section = text[text.index("\n## Settings\n") :]
    return section[: section.index("\n## ", 1)]


def test_every_setting_is_in_the_readme_table():
    names_in_table = set(re.findall(r"`([a-z_]+)`", _settings_table()))
    missing = [f.name for f in fields(Settings) if f.name not in names_in_table]
    assert not missing, f"settings missing from README.md's settings table: {missing}"

"""Every operator command's --help shows an example, and the README-level help lists them."""

from __future__ import annotations

import pytest

from tests.cli.helpers import ok

COMMANDS = [
    ("keys", "list"),
    ("keys", "revoke"),
    ("orgs", "list"),
    ("orgs", "create"),
    ("users", "list"),
    ("users", "disable"),
    ("migrate",),
    ("doctor",),
    ("export",),
    ("replay",),
    ("import",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_an_example(command: tuple[str, ...]):
    shown = ok(*command, "--help")
    assert "Example" in shown
    assert f"heliograph {' '.join(command)} " in shown.split("Example", 1)[1]


def test_the_commands_are_listed():
    listed = ok("--help")
    for name in ("orgs", "migrate", "doctor", "export", "replay", "import"):
        assert f"  {name} " in listed

"""`heliograph keys create` and `users create`: names checked, organizations never made by a
typo (the real CLI through click's runner, on a real SQLite data dir)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from heliograph.cli import main
from heliograph.meta import db
from heliograph.meta.models import ApiKey, Organization


def _cli(data_dir: Path, *args: str, password: str | None = None) -> Result:
    env = {"HELIOGRAPH_USER_PASSWORD": password} if password else {}
    return CliRunner().invoke(main, [*args, "--data-dir", str(data_dir)], env=env)


def _stored(data_dir: Path) -> tuple[list[str], list[str]]:
    """The organizations' and the keys' names in the data dir's metadata database."""
    engine = db.connect(f"sqlite:///{data_dir / 'metadata.db'}")
    try:
        with db.session_factory(engine)() as session:
            orgs = session.scalars(select(Organization.name).order_by(Organization.name))
            names = session.scalars(select(ApiKey.name).order_by(ApiKey.name))
            return list(orgs), list(names)
    finally:
        engine.dispose()


def test_an_unknown_organization_is_refused_and_not_created(tmp_path: Path):
    made = _cli(tmp_path, "keys", "create", "--name", "ci", "--org", "acme", "--create-org")
    assert made.exit_code == 0, made.stderr
    assert made.stdout.startswith("sk-helicone-") and "organization acme" in made.stderr

    typo = _cli(tmp_path, "keys", "create", "--name", "ci", "--org", "acmee")
    assert typo.exit_code == 1
    assert typo.stderr == (
        "Error: no organization named 'acmee' (did you mean 'acme'?); "
        "create it with `heliograph orgs create` or add --create-org\n"
    )
    unrelated = _cli(tmp_path, "keys", "create", "--name", "ci", "--org", "zzz")
    assert unrelated.stderr == (
        "Error: no organization named 'zzz'; "
        "create it with `heliograph orgs create` or add --create-org\n"
    )
    again = _cli(tmp_path, "keys", "create", "--name", "ci-2", "--org", "acme")
    assert again.exit_code == 0, again.stderr  # an existing one needs no flag
    assert _stored(tmp_path) == (["acme"], ["ci", "ci-2"])


def test_the_default_organization_needs_no_flag(tmp_path: Path):
    assert _cli(tmp_path, "keys", "create", "--name", "ci").exit_code == 0
    assert _cli(tmp_path, "keys", "create", "--name", "ci", "--org", "default").exit_code == 0
    assert _stored(tmp_path) == (["default"], ["ci", "ci"])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--name", "x" * 5000, "key name must be at most 200 characters, not 5000"),
        ("--name", "", "key name must not be blank"),
        ("--name", "  \t ", "key name must not be blank"),
        ("--name", "ci\x1b[31m", "key name must not contain control characters"),
        ("--org", "x" * 5000, "organization name must be at most 200 characters, not 5000"),
        ("--org", "", "organization name must not be blank"),
        ("--org", "acme\x00", "organization name must not contain control characters"),
    ],
)
def test_bad_key_and_organization_names_are_refused(
    tmp_path: Path, option: str, value: str, message: str
):
    args = {"--name": "ci", "--org": "acme", option: value}
    result = _cli(
        tmp_path,
        *("keys", "create", "--name", args["--name"], "--org", args["--org"], "--create-org"),
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert _stored(tmp_path) == ([], [])


def test_orgs_create_checks_the_name_too(tmp_path: Path):
    refused = _cli(tmp_path, "orgs", "create", "acme\x7f")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: organization name must not contain control characters\n"
    assert _cli(tmp_path, "orgs", "create", " acme ").exit_code == 0
    assert _cli(tmp_path, "keys", "create", "--name", "ci", "--org", "acme").exit_code == 0
    assert _stored(tmp_path) == (["acme"], ["ci"])


def test_names_are_stored_trimmed_and_may_be_any_language(tmp_path: Path):
    made = _cli(tmp_path, "keys", "create", "--name", "  clé ✓ ", "--org", " Åcme ", "--create-org")
    assert made.exit_code == 0, made.stderr
    assert _stored(tmp_path) == (["Åcme"], ["clé ✓"])


def test_users_are_not_added_to_an_unknown_organization(tmp_path: Path):
    password = "correct horse battery"
    refused = _cli(
        tmp_path, "users", "create", "--email", "a@example.com", "--org", "nope", password=password
    )
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: no organization named 'nope'; "
        "create it with `heliograph orgs create` or add --create-org\n"
    )
    made = _cli(
        tmp_path,
        *("users", "create", "--email", "a@example.com", "--org", "nope", "--create-org"),
        password=password,
    )
    assert made.exit_code == 0, made.stderr
    assert _stored(tmp_path)[0] == ["nope"]

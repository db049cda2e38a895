"""`heliograph orgs list` and `orgs create`: the organizations keys and users belong to."""

from __future__ import annotations

import click

from heliograph.cli_ops.common import (
    fail,
    json_option,
    metadata,
    one_line,
    server_options,
    show_records,
)

COLUMNS = ("id", "name", "created", "live_keys", "users")


@click.group()
def orgs() -> None:
    """Manage organizations (each has its own keys, users and logged requests)."""


@orgs.command("list")
@json_option
@server_options
def list_orgs(as_json: bool, data_dir: str | None, config: str | None) -> None:
    """List organizations with their live keys and users counted.

    \b
    Example:
      heliograph orgs list --data-dir /var/lib/heliograph
    """
    from heliograph.meta.directory import list_organizations

    try:
        found = list_organizations(metadata(config, data_dir))
    except Exception as exc:
        fail(one_line(exc))
    records = [
        dict(zip(COLUMNS, (o.id, o.name, o.created_at, o.live_keys, o.users), strict=True))
        for o in found
    ]
    show_records("organization(s)", COLUMNS, records, as_json)


@orgs.command("create")
@click.argument("name")
@server_options
def create_org(name: str, data_dir: str | None, config: str | None) -> None:
    """Create an organization and print its id; a name already taken is refused.

    \b
    Example:
      heliograph orgs create acme && heliograph keys create --name ci --org acme
    """
    from heliograph.meta.directory import create_organization

    try:
        click.echo(create_organization(metadata(config, data_dir), name))
    except Exception as exc:
        fail(one_line(exc))

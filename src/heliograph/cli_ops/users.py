"""`heliograph users list` and `users disable`: dashboard users of every organization."""

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

COLUMNS = ("id", "email", "organization", "created", "disabled")


@click.command("list")
@click.option("--org", "org_name", default=None, help="Only this organization's users")
@json_option
@server_options
def list_users(
    org_name: str | None, as_json: bool, data_dir: str | None, config: str | None
) -> None:
    """List dashboard users, disabled ones included.

    \b
    Example:
      heliograph users list --org acme
    """
    from heliograph.meta.directory import list_users as listed

    try:
        found = listed(metadata(config, data_dir), org_name)
    except Exception as exc:
        fail(one_line(exc))
    records = [
        dict(
            zip(
                COLUMNS,
                (u.id, u.email, u.organization_name, u.created_at, u.disabled_at),
                strict=True,
            )
        )
        for u in found
    ]
    show_records("user(s)", COLUMNS, records, as_json)


@click.command("disable")
@click.argument("email")
@server_options
def disable_user(email: str, data_dir: str | None, config: str | None) -> None:
    """Stop a user signing in to the dashboard, and sign them out everywhere at once.

    \b
    Example:
      heliograph users disable alice@example.com
    """
    from heliograph.meta.directory import disable_user as disable

    try:
        user = disable(metadata(config, data_dir), email)
    except Exception as exc:
        fail(one_line(exc))
    click.echo(f"user {user.email} of organization {user.organization_name} is disabled")

"""`heliograph keys list` and `keys revoke`: the operator's view of every organization's keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from heliograph.cli_ops.common import (
    fail,
    json_option,
    metadata,
    one_line,
    server_options,
    settings_of,
    show_records,
)

if TYPE_CHECKING:
    from heliograph.meta.directory import KeyRow

COLUMNS = ("id", "name", "preview", "permissions", "organization", "created", "revoked")


def _record(row: KeyRow) -> dict[str, Any]:
    values = (row.id, row.name, row.preview, row.permissions, row.organization_name)
    return dict(zip(COLUMNS, (*values, row.created_at, row.revoked_at), strict=True))


@click.command("list")
@click.option("--org", "org_name", default=None, help="Only this organization's keys")
@click.option("--revoked", is_flag=True, help="Include revoked keys")
@json_option
@server_options
def list_keys(
    org_name: str | None, revoked: bool, as_json: bool, data_dir: str | None, config: str | None
) -> None:
    """List API keys (previews only: a key is shown in full once, when created).

    \b
    Examples:
      heliograph keys list --org acme
      heliograph keys list --revoked --json | jq -r .id
    """
    from heliograph.meta.directory import list_keys as listed

    try:
        records = [
            _record(row) for row in listed(metadata(config, data_dir), org_name, revoked=revoked)
        ]
    except Exception as exc:
        fail(one_line(exc))
    show_records("API key(s)", COLUMNS, records, as_json)


@click.command("revoke")
@click.argument("key")
@server_options
def revoke_key(key: str, data_dir: str | None, config: str | None) -> None:
    """Revoke an API key, given its id or its preview as `keys list` shows them.

    A running server refuses the key once its cached lookup of it expires (`key_cache_s`,
    60 s by default); dashboard sessions signed in with the key end at once.

    \b
    Examples:
      heliograph keys revoke 0b9f6c1e-4f5a-4c1e-9d1e-2b7a5c3d9e10
      heliograph keys revoke sk-helicone-3f2a...9c1d
    """
    from heliograph.meta.directory import find_key
    from heliograph.meta.keys import KeyStore, hash_key

    configured = settings_of(config, data_dir).api_key
    sessions = metadata(config, data_dir)
    try:
        found = find_key(sessions, key)
    except Exception as exc:
        fail(one_line(exc))
    # The server stores its configured key again at start: revoked, it would not start.
    if configured and hash_key(configured) == found.key_hash:
        fail("this is the server's configured key (HELIOGRAPH_API_KEY); change it there")
    KeyStore(sessions).revoke(found.organization_id, found.id)
    click.echo(
        f"revoked key {found.id} ({found.preview}) of organization {found.organization_name}"
    )

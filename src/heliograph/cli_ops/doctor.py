"""`heliograph doctor`: what is wrong with this installation, in one table."""

from __future__ import annotations

import asyncio

import click

from heliograph.cli_ops.common import json_option, server_options, settings_of, show_records
from heliograph.cli_ops.doctor_checks import (
    Check,
    data_dir,
    metadata,
    providers,
    redis,
    store_of_server,
    store_offline,
)
from heliograph.cli_ops.store_access import data_dir_lock
from heliograph.config import Settings

COLUMNS = ("check", "status", "detail")


def server_url(settings: Settings) -> str:
    """Where a server started with these settings answers, from this machine."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


@click.command()
@click.option("--url", default=None, help="The server holding the data dir (default: host:port)")
@click.option(
    "--provider", "provider_names", multiple=True, help="Check only this provider (repeatable)"
)
@json_option
@server_options
def doctor(
    url: str | None,
    provider_names: tuple[str, ...],
    as_json: bool,
    data_dir: str | None,
    config: str | None,
) -> None:
    """Check the data dir, the log store, the metadata database, Redis and every provider's
    base URL; print what is wrong and exit 1 if anything is.

    The log store is opened here when no server runs on the data dir; otherwise the
    server's /healthz answers for it.

    \b
    Examples:
      heliograph doctor --data-dir /var/lib/heliograph
      HELIOGRAPH_REDIS_URL=redis://cache:6379 heliograph doctor --provider openai
    """
    settings = settings_of(config, data_dir)
    checks = asyncio.run(_run(settings, url or server_url(settings), provider_names))
    records = [
        dict(zip(COLUMNS, (c.name, "OK" if c.ok else "PROBLEM", c.detail), strict=True))
        for c in checks
    ]
    show_records("check(s)", COLUMNS, records, as_json)
    problems = sum(not check.ok for check in checks)
    if problems:
        click.echo(f"{problems} problem(s) found", err=True)
        raise SystemExit(1)


async def _run(settings: Settings, url: str, provider_names: tuple[str, ...]) -> list[Check]:
    checks = data_dir(settings.data_dir)
    if settings.data_dir.is_dir():
        with data_dir_lock(settings.data_dir) as held:
            checks.append(
                await store_offline(settings.data_dir) if held else await store_of_server(url)
            )
    checks.append(await asyncio.to_thread(metadata, settings.metadata_url))
    checks.append(await redis(settings.redis_url))
    checks.extend(await providers(settings, provider_names))
    return checks

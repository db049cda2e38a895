"""`heliograph migrate`: show or apply the pending migrations of both stores.

The metadata database (SQLite or PostgreSQL) is migrated by Alembic; the log store by the
named list in store/schema.py. `heliograph serve` applies both at start; this command lets
an operator see what an upgrade will change first, or apply it before starting servers.
With `clickhouse_url` set, the log store is that ClickHouse server's: migrated under its
migration lock (store/migration_lock.py), `ON CLUSTER` when `clickhouse_cluster` is set.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from heliograph.cli_ops.common import fail, one_line, server_options, settings_of
from heliograph.cli_ops.store_access import data_dir_lock, open_store, store_in_use
from heliograph.config import Settings


@click.command()
@click.option("--show", is_flag=True, help="Only list what is pending; change nothing")
@server_options
def migrate(show: bool, data_dir: str | None, config: str | None) -> None:
    """Apply (or with --show, list) pending migrations of the metadata DB and the log store.

    The embedded log store can be migrated only while no server runs on the data dir (a
    server applies its migrations itself when it starts). A ClickHouse server's
    (clickhouse_url) can be at any time: whoever comes first applies them, under a lock.

    \b
    Examples:
      heliograph migrate --show --data-dir /var/lib/heliograph
      HELIOGRAPH_DATABASE_URL=postgresql://heliograph@db/heliograph heliograph migrate
    """
    settings = settings_of(config, data_dir)
    with data_dir_lock(settings.data_dir) as held:  # makes the data dir, where SQLite lives
        _metadata(settings.metadata_url, show)
        if settings.clickhouse_url:
            try:
                names = asyncio.run(_server_store(settings, show))
            except Exception as exc:
                fail(f"cannot migrate the log store: {one_line(exc)}")
            _report("log store (ClickHouse server)", names, show)
            return
        if not held:
            click.echo(f"log store: skipped, {store_in_use(settings.data_dir)}")
            return
        try:
            names = asyncio.run(_store(settings.data_dir, show))
        except Exception as exc:
            fail(f"cannot migrate the log store: {one_line(exc)}")
    _report("log store", names, show)


def _metadata(url: str, show: bool) -> None:
    from heliograph.meta import db

    engine = db.connect(url)
    label = f"metadata database ({engine.dialect.name})"
    try:
        pending = db.pending_revisions(engine)
        if pending and not show:
            db.migrate(engine)
    except Exception as exc:
        fail(f"cannot migrate the {label}: {one_line(exc)}")
    finally:
        engine.dispose()
    _report(label, pending, show)


async def _store(data_dir: Path, show: bool) -> list[str]:
    from heliograph.store.schema import apply_migrations, pending_migrations

    async with open_store(data_dir, migrate=False) as engine:
        if show:
            return await pending_migrations(engine)
        return await apply_migrations(engine)


async def _server_store(settings: Settings, show: bool) -> list[str]:
    from heliograph.store.connect_engine import ClickHouseConnectEngine
    from heliograph.store.schema import apply_migrations, pending_migrations

    engine = ClickHouseConnectEngine(settings.clickhouse_url, cluster=settings.clickhouse_cluster)
    await engine.open()
    try:
        if show:
            return await pending_migrations(engine)
        return await apply_migrations(engine, engine.cluster, shared=True)
    finally:
        await engine.close()


def _report(label: str, names: list[str], show: bool) -> None:
    if not names:
        click.echo(f"{label}: up to date")
        return
    click.echo(f"{label}: {len(names)} {'pending' if show else 'applied'}")
    for name in names:
        click.echo(f"  {name}")

"""`heliograph export`: logged requests matching a filter to JSONL, CSV or Parquet."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
import orjson

from heliograph.cli_ops.common import console, fail, metadata, one_line, server_options, settings_of
from heliograph.cli_ops.export_cursor import Cursor, load, save
from heliograph.cli_ops.export_writers import FORMATS, ExportWriter
from heliograph.cli_ops.request_source import (
    MAX_PAGE,
    RequestSource,
    ServerSource,
    StoreSource,
)
from heliograph.cli_ops.store_access import data_dir_lock, open_store, store_in_use


def time_filter(filter_json: str, since: str | None, until: str | None) -> Any:
    """The filter AST asked for: `--filter` AND `--since` (inclusive) AND `--until` (not)."""
    try:
        node = orjson.loads(filter_json)
    except orjson.JSONDecodeError as exc:
        fail(f"--filter is not JSON: {exc}")
    for operator, moment in (("gte", since), ("lt", until)):
        if moment:
            leaf = {"request_response_rmt": {"request_created_at": {operator: moment}}}
            node = leaf if node == "all" else {"left": node, "operator": "and", "right": leaf}
    return node


async def copy_pages(
    source: RequestSource, cursor: Cursor, writer: ExportWriter, cursor_path: Path, page_size: int
) -> None:
    """Page after page from the cursor on, each written, synced, then the cursor saved."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} request(s)"), TimeElapsedColumn())
    shown = console(stderr=True)
    # Only on a terminal: in a pipe or a log, the summary line says the same.
    with Progress(
        *columns, console=shown, transient=True, disable=not shown.is_terminal
    ) as progress:
        task = progress.add_task("export", completed=cursor.rows)
        while True:
            offset = len(cursor.ids_at_created_at)
            rows = cursor.fresh(await source.page(cursor.filter(), offset, page_size))
            if not rows:
                return
            cursor.advance(rows, writer.write(rows))
            save(cursor_path, cursor)
            progress.update(task, completed=cursor.rows)


@click.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: OUTPUT's suffix")
@click.option("--filter", "filter_json", default='"all"', help="Helicone's filter AST, as JSON")
@click.option("--since", default=None, help="Requests at or after this time (ISO 8601)")
@click.option("--until", default=None, help="Requests before this time (ISO 8601)")
@click.option("--url", default=None, help="A running server to read from (its REST API)")
@click.option("--key", envvar="HELIOGRAPH_API_KEY", default=None, help="API key for --url")
@click.option("--org", "org_name", default="default", help="Organization (without --url)")
@click.option("--resume", is_flag=True, help="Continue from OUTPUT.cursor, without duplicates")
@click.option("--page-size", type=click.IntRange(1, MAX_PAGE), default=500)
@server_options
def export(
    output: Path, fmt: str | None, filter_json: str, since: str | None, until: str | None,
    url: str | None, key: str | None, org_name: str, resume: bool, page_size: int,
    data_dir: str | None, config: str | None,
) -> None:  # fmt: skip
    """Export logged requests matching a filter AST and a time range, oldest first.

    Reads a running server's REST API with --url and --key, or else opens the data dir's
    store here (only while no server runs on it). After every page the position is saved
    in OUTPUT.cursor: --resume continues an interrupted export, or a finished one with
    the requests logged since, without duplicates.

    \b
    Examples:
      heliograph export gpt4o.jsonl --url http://127.0.0.1:8585 --key $KEY \\
        --filter '{"request_response_rmt": {"model": {"equals": "gpt-4o"}}}'
      heliograph export june.parquet --since 2026-06-01 --until 2026-07-01 --org acme
      heliograph export june.parquet --since 2026-06-01 --until 2026-07-01 --org acme --resume
    """
    if url and not key:
        fail("--url needs --key (or HELIOGRAPH_API_KEY)")
    fmt = fmt or next((f for f in FORMATS if output.suffix == f".{f}"), "jsonl")
    query = time_filter(filter_json, since, until)
    cursor_path = output.with_name(output.name + ".cursor")
    if resume and cursor_path.exists():
        cursor = _or_fail(lambda: load(cursor_path, query))
    elif output.exists() or cursor_path.exists():
        fail(f"{output} or its cursor exists: --resume to continue it, or remove them")
    else:
        cursor = Cursor(query)
    writer = ExportWriter(output, fmt, cursor.output_bytes)
    try:
        if url and key:
            asyncio.run(
                _from_server(ServerSource(url, key), cursor, writer, cursor_path, page_size)
            )
        else:
            _from_store(settings_of(config, data_dir).data_dir, org_name, config, data_dir,
                        cursor, writer, cursor_path, page_size)  # fmt: skip
        writer.finish()
    except Exception as exc:
        fail(f"{one_line(exc)} ({cursor.rows} request(s) exported; --resume continues)")
    finally:
        writer.close()
    click.echo(f"exported {cursor.rows} request(s) to {output}; cursor in {cursor_path}", err=True)


def _or_fail(step: Any) -> Any:
    try:
        return step()
    except Exception as exc:
        fail(one_line(exc))


async def _from_server(source: ServerSource, *args: Any) -> None:
    try:
        await copy_pages(source, *args)
    finally:
        await source.close()


def _from_store(data_dir: Path, org_name: str, config: str | None, data_dir_option: str | None,
                *args: Any) -> None:  # fmt: skip
    from heliograph.meta.directory import organization_id

    org_id = _or_fail(lambda: organization_id(metadata(config, data_dir_option), org_name))
    with data_dir_lock(data_dir) as held:
        if not held:
            fail(f"{store_in_use(data_dir)}: export through it with --url and --key")

        async def run() -> None:
            async with open_store(data_dir) as engine:
                await copy_pages(StoreSource(engine, org_id), *args)

        asyncio.run(run())

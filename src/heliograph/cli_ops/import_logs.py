"""`heliograph import`: calls logged elsewhere (Heliograph's or Helicone's export, LiteLLM's
spend logs) logged here, each as one async log, with its own ids, times, tokens and cost.

A record is converted whole before anything of it is logged: a bad one (not JSON, a time
that is not one, a negative count) is rejected and reported with where it is in the file,
and its neighbours are imported. Request ids already stored, or seen earlier in the file,
are skipped: importing a file twice adds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import click

from heliograph.cli_ops.common import console, fail, metadata, one_line, server_options, settings_of
from heliograph.cli_ops.import_call import BadRecord, ImportedCall, async_log_document
from heliograph.cli_ops.import_files import FILE_TYPES, Record, file_type, read_records
from heliograph.cli_ops.import_litellm import litellm_call
from heliograph.cli_ops.import_request_rows import helicone_call, heliograph_call
from heliograph.cli_ops.import_targets import ImportTarget, Pending, ServerTarget, StoreTarget
from heliograph.cli_ops.store_access import data_dir_lock, open_store, store_in_use

SOURCES: dict[str, Callable[[dict[str, Any]], ImportedCall]] = {
    "heliograph": heliograph_call,
    "helicone": helicone_call,
    "litellm": litellm_call,
}
BATCH = 100
LISTED_REJECTIONS = 5


@dataclass
class Tally:
    imported: int = 0
    duplicates: int = 0
    rejections: list[tuple[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # request ids met so far in the file

    @property
    def records(self) -> int:
        return self.imported + self.duplicates + len(self.rejections)

    def summary(self, path: Path) -> str:
        lines = [
            f"imported {self.imported} request(s) from {path}; {self.duplicates} skipped as "
            f"already stored; {len(self.rejections)} rejected"
        ]
        lines += [f"  {where}: {why}" for where, why in self.rejections[:LISTED_REJECTIONS]]
        if len(self.rejections) > LISTED_REJECTIONS:
            lines.append(f"  ... and {len(self.rejections) - LISTED_REJECTIONS} more")
        return "\n".join(lines)


def converted(records: Iterable[Record], source: str, tally: Tally) -> list[Pending]:
    """The records as async-log bodies; unreadable ones and in-file repeats are tallied."""
    convert = SOURCES[source]
    pending = []
    for record in records:
        try:
            if record.fields is None:
                raise BadRecord(record.problem)
            call = convert(record.fields)
        except BadRecord as exc:
            tally.rejections.append((record.where, str(exc)))
            continue
        if call.request_id in tally.seen:
            tally.duplicates += 1
            continue
        tally.seen.add(call.request_id)
        pending.append(Pending(record.where, call.request_id, async_log_document(call)))
    return pending


async def import_batches(
    records: Iterator[Record], source: str, target: ImportTarget, tally: Tally
) -> None:
    """Batch after batch: convert, leave out what the target has, log the rest."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    shown = console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.completed} record(s)"), TimeElapsedColumn())
    with Progress(
        *columns, console=shown, transient=True, disable=not shown.is_terminal
    ) as progress:
        task = progress.add_task("import")
        while batch := list(islice(records, BATCH)):
            listed = len(tally.rejections)
            pending = converted(batch, source, tally)
            stored = await target.stored([item.request_id for item in pending])
            fresh = [item for item in pending if item.request_id not in stored]
            tally.duplicates += len(pending) - len(fresh)
            rejected = await target.log(fresh)
            tally.imported += len(fresh) - len(rejected)
            # The batch's rejections in file order, whichever step refused them.
            order = {record.where: number for number, record in enumerate(batch)}
            tally.rejections[listed:] = sorted(
                tally.rejections[listed:] + rejected, key=lambda rejection: order[rejection[0]]
            )
            progress.update(task, completed=tally.records)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "source", type=click.Choice(tuple(SOURCES)), default="heliograph",
              help="Who wrote FILE (default: heliograph export)")  # fmt: skip
@click.option("--file-type", "file_type_name", type=click.Choice(FILE_TYPES),
              help="Default: FILE's suffix")  # fmt: skip
@click.option("--url", default=None, help="A running server to log to (its REST API)")
@click.option("--key", envvar="HELIOGRAPH_API_KEY", default=None, help="API key for --url")
@click.option("--org", "org_name", default="default", help="Organization (without --url)")
@server_options
def import_logs(
    file: Path, source: str, file_type_name: str | None, url: str | None, key: str | None,
    org_name: str, data_dir: str | None, config: str | None,
) -> None:  # fmt: skip
    """Import logged calls from a file: Heliograph's export, Helicone's export script's
    output, or LiteLLM's spend logs. Each record is logged as one call with its own
    request id, times, model, provider, user, properties, tokens, cost and bodies.

    Logs through a running server's REST API with --url and --key, or else writes the data
    dir's store here (only while no server runs on it). Request ids already stored are
    skipped, so a second import of a file adds nothing. Exits 1 when a record was rejected.

    \b
    Examples:
      heliograph import june.jsonl --url http://127.0.0.1:8585 --key $KEY
      heliograph import output.csv --format helicone --org acme
      heliograph import spend_logs.json --format litellm --url http://127.0.0.1:8585 --key $KEY
    """
    if url and not key:
        fail("--url needs --key (or HELIOGRAPH_API_KEY)")
    records = read_records(file, file_type_name or file_type(file))
    tally = Tally()
    try:
        if url and key:
            asyncio.run(_to_server(ServerTarget(url, key), records, source, tally))
        else:
            _to_store(org_name, config, data_dir, records, source, tally)
    except Exception as exc:
        fail(f"{one_line(exc)} ({tally.imported} request(s) imported before; importing the "
             "file again skips them)")  # fmt: skip
    click.echo(tally.summary(file), err=True)
    if tally.rejections:
        raise SystemExit(1)


async def _to_server(
    target: ServerTarget, records: Iterator[Record], source: str, tally: Tally
) -> None:
    try:
        await import_batches(records, source, target, tally)
    finally:
        await target.close()


def _to_store(
    org_name: str, config: str | None, data_dir: str | None, records: Iterator[Record],
    source: str, tally: Tally,
) -> None:  # fmt: skip
    from heliograph.costs.catalog import PriceCatalog
    from heliograph.meta.directory import organization_id
    from heliograph.pipeline.rows import RowBuilder

    try:
        org_id = organization_id(metadata(config, data_dir), org_name)
    except Exception as exc:
        fail(one_line(exc))
    directory = settings_of(config, data_dir).data_dir
    rows = RowBuilder(PriceCatalog.load_default())
    with data_dir_lock(directory) as held:
        if not held:
            fail(f"{store_in_use(directory)}: import through it with --url and --key")

        async def run() -> None:
            async with open_store(directory) as engine:
                await import_batches(records, source, StoreTarget(engine, org_id, rows), tally)

        asyncio.run(run())

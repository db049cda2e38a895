"""What the operator commands share: settings, the metadata database, errors, tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from heliograph.config import ConfigError, Settings
from heliograph.errors import HeliographError
from heliograph.settings_sources import load_settings

# rich and SQLAlchemy load when a command runs, not at every `heliograph serve` start.
if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session, sessionmaker

F = TypeVar("F", bound=Callable[..., Any])
# Piped output keeps whole ids on one line: rich would wrap a table at 80 columns.
PIPED_WIDTH = 250


# click's status for a usage error (a bad option), which a bad setting is too.
USAGE_ERROR = 2


def fail(message: str, status: int = 1) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)


def settings_of(config: str | None, data_dir: str | None) -> Settings:
    try:
        return load_settings(config, overrides={"data_dir": data_dir})
    except ConfigError as exc:
        fail(str(exc), USAGE_ERROR)


def server_options(function: F) -> F:
    """`--data-dir` and `--config`: which server's settings (and databases) to use."""
    function = click.option(
        "--config", default=None, help="A heliograph.toml settings file [HELIOGRAPH_CONFIG]"
    )(function)
    return click.option(
        "--data-dir", default=None, help="Data dir of the server [HELIOGRAPH_DATA_DIR]"
    )(function)


def metadata(config: str | None, data_dir: str | None) -> sessionmaker[Session]:
    """The metadata database of a server's settings, migrated to the newest schema."""
    from heliograph.meta import db

    settings = settings_of(config, data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        engine = db.connect(settings.metadata_url)
        db.migrate(engine)
    except Exception as exc:  # an unreachable PostgreSQL, a bad URL: one line, no traceback
        fail(f"cannot open the metadata database: {one_line(exc)}")
    return db.session_factory(engine)


def one_line(exc: BaseException) -> str:
    if isinstance(exc, HeliographError):
        return exc.message
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    out = sys.stderr if stderr else sys.stdout
    width = None if out.isatty() else PIPED_WIDTH
    return Console(file=out, width=width, highlight=False, soft_wrap=False)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def show_records(
    noun: str, columns: Sequence[str], records: Sequence[dict[str, Any]], as_json: bool
) -> None:
    """Records as a table titled with their count, or as JSON lines with `--json`."""
    if as_json:
        show_json(records)
    else:
        show_table(f"{len(records)} {noun}", columns, [list(r.values()) for r in records])


def show_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    console().print(table)


def show_json(records: Sequence[dict[str, Any]]) -> None:
    """One JSON object a line: for scripts (`--json`)."""
    import orjson

    for record in records:
        sys.stdout.buffer.write(orjson.dumps(record, default=str) + b"\n")
    sys.stdout.flush()


json_option = click.option("--json", "as_json", is_flag=True, help="One JSON object a line")

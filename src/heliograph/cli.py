"""The `heliograph` command line."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

import heliograph
from heliograph.cli_ops import register_commands
from heliograph.cli_ops.common import USAGE_ERROR
from heliograph.config import ConfigError, Settings
from heliograph.errors import HeliographError
from heliograph.settings_sources import load_settings

T = TypeVar("T")


def _fail(message: str, status: int = 1) -> NoReturn:
    """Exit with one line: status 1 for what went wrong while running (a busy port, an
    unwritable data dir), USAGE_ERROR for a bad setting."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)


def _settings(config: str | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, overrides=overrides)
    except ConfigError as exc:
        _fail(str(exc), USAGE_ERROR)


def _prepare_data_dir(path: Path) -> int:
    """Create the data dir, prove it is writable and lock it; returns the lock's descriptor.

    Everything in it (request bodies in the store, webhook payloads in metadata.db, keys) is
    for the owner only: the process umask makes what is created from now on (chDB's parts
    too, written in this process) 0700/0600, and what an older version left is fixed here.
    """
    os.umask(0o077)
    try:
        path.mkdir(parents=True, exist_ok=True)
        _owner_only(path)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
        lock_fd = os.open(path / "heliograph.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        _fail(f"data dir {path} is not writable: {exc.strerror}")
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        _fail(f"data dir {path} is in use by another Heliograph process")
    return lock_fd


def _owner_only(root: Path) -> None:
    """Take group and other permissions off `root` and everything under it (no symlinks)."""
    pending = [root]
    while pending:
        directory = pending.pop()
        os.chmod(directory, os.stat(directory).st_mode & 0o700)
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    mode = entry.stat(follow_symlinks=False).st_mode
                    if mode & 0o077:
                        os.chmod(entry.path, mode & 0o700)


def _bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    from heliograph.workers.serving import tcp_socket

    try:
        # With workers the port is only reserved here: they listen on it themselves.
        return tcp_socket(host, port, reuse_port=reuse_port, listen=not reuse_port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {port} on {host} is already in use (choose another with --port)")
        _fail(f"cannot listen on {host}:{port}: {exc.strerror}")


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(heliograph.__version__, prog_name="heliograph")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Heliograph: a self-hostable LLM gateway and observability platform, Helicone-compatible."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@main.command()
@click.option(
    "--host", default=None, help="Interface to listen on [env HELIOGRAPH_HOST; 127.0.0.1]"
)
@click.option("--port", type=int, default=None, help="Port [env HELIOGRAPH_PORT; 8585]")
@click.option("--data-dir", default=None, help="Where everything is stored [HELIOGRAPH_DATA_DIR]")
@click.option("--config", default=None, help="A heliograph.toml settings file [HELIOGRAPH_CONFIG]")
@click.option(
    "--demo", is_flag=True, default=None, help="Built-in mock provider and sample traffic"
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    help="Gateway processes sharing the port, beside one store process (default 1: one "
    "process for everything)",
)
def serve(
    host: str | None,
    port: int | None,
    data_dir: str | None,
    config: str | None,
    demo: bool | None,
    workers: int,
) -> None:
    """Run the gateway, the REST API and the dashboard on one port."""
    from heliograph.gateway.edge_limits import raise_descriptor_limit

    settings = _settings(config, host=host, port=port, data_dir=data_dir, demo=demo)
    if workers > 1 and settings.demo:
        _fail("--demo runs in one process: leave out --workers", USAGE_ERROR)
    raise_descriptor_limit()
    _prepare_data_dir(settings.data_dir)
    sock = _bind(settings.host, settings.port, reuse_port=workers > 1)
    settings = replace(settings, port=sock.getsockname()[1])  # port 0: the one chosen
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if workers > 1:
        from heliograph.workers.supervisor import Supervisor

        Supervisor(settings, workers, announce=_announce).run()
    else:
        _serve_one_process(settings, sock)
    click.echo("Heliograph stopped.")


@main.command()
@click.option(
    "--host", default=None, help="Interface to listen on [env HELIOGRAPH_HOST; 127.0.0.1]"
)
@click.option("--port", type=int, default=None, help="Port [env HELIOGRAPH_PORT; 8585]")
@click.option("--data-dir", default=None, help="Where its log spool is kept [HELIOGRAPH_DATA_DIR]")
@click.option("--config", default=None, help="A heliograph.toml settings file [HELIOGRAPH_CONFIG]")
def gateway(host: str | None, port: int | None, data_dir: str | None, config: str | None) -> None:
    """Run the gateway role: calls only, logged to the Redis log stream (log_stream)."""
    from heliograph.gateway.edge_limits import raise_descriptor_limit
    from heliograph.workers import serving
    from heliograph.workers.gateway_role import gateway_role_app

    settings = _settings(config, host=host, port=port, data_dir=data_dir)
    if not settings.log_stream:
        _fail("the gateway role needs log_stream (and redis_url) set", USAGE_ERROR)
    raise_descriptor_limit()
    _prepare_data_dir(settings.data_dir)
    sock = _bind(settings.host, settings.port)
    settings = replace(settings, port=sock.getsockname()[1])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = _built(gateway_role_app, settings)
    _announce(settings)
    serving.run(app, settings, sock)
    click.echo("Heliograph stopped.")


def _built(build: Callable[[Settings], T], settings: Settings) -> T:
    """The app `build` makes of the settings, or exit saying in one line why it cannot."""
    try:
        return build(settings)
    except ConfigError as exc:  # a setting only the app can judge (outbound_allow)
        _fail(str(exc), USAGE_ERROR)
    except Exception as exc:  # a bad database URL, an unreadable store
        _fail(f"cannot start: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


def _announce(settings: Settings) -> None:
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    click.echo(f"Heliograph {heliograph.__version__} listening on http://{shown}:{settings.port}")
    click.echo(f"Data dir: {settings.data_dir.resolve()}")
    sys.stdout.flush()  # a supervisor or test reading the chosen port gets it now


def _serve_one_process(settings: Settings, sock: socket.socket) -> None:
    from heliograph.app import create_app
    from heliograph.workers import serving

    if settings.demo:
        from heliograph.demo import prepare_demo

        settings = prepare_demo(settings)
    app = _built(create_app, settings)
    if settings.demo:
        from heliograph.demo import start_demo_traffic

        start_demo_traffic(app, settings)
    _announce(settings)
    serving.run(app, settings, sock)


@main.command("settings")
@click.option("--config", default=None, help="A heliograph.toml settings file [HELIOGRAPH_CONFIG]")
@click.option("--markdown", is_flag=True, help="Print the README's table of every setting")
def show_settings(config: str | None, markdown: bool) -> None:
    """Print the settings a server started here would use (secrets only as set or not)."""
    from heliograph.settings_table import effective, markdown_table

    if markdown:
        click.echo(markdown_table(), nl=False)
        return
    for name, value in effective(_settings(config)):
        click.echo(f"{name} = {value}")


def _metadata_sessions(config: str | None, data_dir: str | None) -> Any:
    """The migrated metadata database of a server's settings, for offline admin commands."""
    from heliograph.meta import db

    settings = _settings(config, data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.connect(settings.metadata_url)
    db.migrate(engine)
    return db.session_factory(engine)


@main.group()
def keys() -> None:
    """Manage Heliograph API keys."""


ORG_OPTION_HELP = "Organization name (default: the default org); it must exist"
CREATE_ORG_HELP = "Create the --org organization when it does not exist yet"


def _refused(exc: HeliographError) -> NoReturn:
    """Exit with the store's refusal (a bad name, an unknown organization, a taken e-mail)."""
    from heliograph.meta.keys import UnknownOrganizationError

    if isinstance(exc, UnknownOrganizationError):
        _fail(f"{exc.message}; create it with `heliograph orgs create` or add --create-org")
    _fail(exc.message)


@keys.command("create")
@click.option("--name", required=True, help="A label for the key")
@click.option("--org", "org_name", default=None, help=ORG_OPTION_HELP)
@click.option("--create-org", is_flag=True, help=CREATE_ORG_HELP)
@click.option(
    "--permissions",
    type=click.Choice(["rw", "r", "w"]),
    default="rw",
    show_default=True,
    help="r: REST reads only; w: gateway, logging and REST writes, no reads; rw: both",
)
@click.option("--data-dir", default=None, help="Data dir of the server [HELIOGRAPH_DATA_DIR]")
@click.option("--config", default=None, help="A heliograph.toml settings file")
def create_key(
    name: str,
    org_name: str | None,
    create_org: bool,
    permissions: str,
    data_dir: str | None,
    config: str | None,
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    from heliograph.meta.keys import KeyStore

    try:
        sessions = _metadata_sessions(config, data_dir)
        created = KeyStore(sessions).create(
            name, org_name, create_org=create_org, permissions=permissions
        )
    except HeliographError as exc:
        _refused(exc)
    except Exception as exc:
        _fail(f"cannot create key: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    click.echo(created.key)
    click.echo(
        f"organization {created.organization_name} ({created.organization_id}); "
        "store this key now, it cannot be shown again",
        err=True,
    )


@main.group()
def users() -> None:
    """Manage dashboard users."""


@users.command("create")
@click.option("--email", required=True, help="The user's e-mail (their sign-in name)")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="HELIOGRAPH_USER_PASSWORD",
    help="Asked for when not given [env HELIOGRAPH_USER_PASSWORD]",
)
@click.option("--org", "org_name", default=None, help=ORG_OPTION_HELP)
@click.option("--create-org", is_flag=True, help=CREATE_ORG_HELP)
@click.option("--data-dir", default=None, help="Data dir of the server [HELIOGRAPH_DATA_DIR]")
@click.option("--config", default=None, help="A heliograph.toml settings file")
def create_user(
    email: str,
    password: str,
    org_name: str | None,
    create_org: bool,
    data_dir: str | None,
    config: str | None,
) -> None:
    """Create a dashboard user who signs in with e-mail and password."""
    from heliograph.meta.keys import KeyStore
    from heliograph.meta.users import UserStore

    try:
        sessions = _metadata_sessions(config, data_dir)
        account = UserStore(sessions, KeyStore(sessions)).create(
            email, password, org_name, create_org=create_org
        )
    except HeliographError as exc:
        _refused(exc)
    except Exception as exc:
        _fail(f"cannot create user: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    click.echo(f"user {account.email} created in organization {account.organization_id}")


register_commands(main)  # the operator's commands: keys list, orgs, export, doctor, ...

"""The checks of `heliograph doctor`: each says what it looked at and what is wrong, if
anything, in words an operator can act on."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from heliograph.cli_ops.common import one_line
from heliograph.cli_ops.store_access import open_store
from heliograph.config import Settings

if TYPE_CHECKING:
    from heliograph.httpclient.pool import ConnectionPool

# Below either, a full disk is near: the spool and the store stop taking rows (operations.md).
MIN_FREE_BYTES = 1024**3
MIN_FREE_SHARE = 0.02
TIMEOUT_S = 3.0  # each network check: a reachable service answers well within it


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def data_dir(path: Path) -> list[Check]:
    """The data dir exists, is writable, is the owner's only and has room."""
    if not path.is_dir():
        return [Check("data dir", False, f"{path} does not exist (heliograph serve creates it)")]
    checks = []
    try:
        probe = path / ".doctor-write-test"
        probe.write_bytes(b"")
        probe.unlink()
        checks.append(Check("data dir", True, f"{path.resolve()} is writable"))
    except OSError as exc:
        checks.append(Check("data dir", False, f"{path} is not writable: {exc.strerror}"))
    mode = path.stat().st_mode & 0o777
    private = mode & 0o077 == 0
    checks.append(
        Check(
            "data dir permissions",
            private,
            f"mode {mode:o}" + ("" if private else ": others can read logged bodies (want 700)"),
        )
    )
    usage = shutil.disk_usage(path)
    enough = usage.free >= MIN_FREE_BYTES and usage.free >= usage.total * MIN_FREE_SHARE
    free = f"{usage.free / 1024**3:.1f} GiB free of {usage.total / 1024**3:.1f} GiB"
    checks.append(
        Check("free space", enough, free + ("" if enough else ": the disk is nearly full"))
    )
    return checks


async def store_offline(path: Path) -> Check:
    """The store opens in this process (no server holds it) and has no pending migration."""
    from heliograph.store.schema import pending_migrations

    try:
        async with open_store(path, migrate=False) as engine:
            pending = await pending_migrations(engine)
            rows = await engine.select("SELECT count() AS n FROM request_response_rmt")
    except Exception as exc:
        if "request_response_rmt" in str(exc) and "UNKNOWN_TABLE" in str(exc):
            return Check("log store", True, "empty: no server has started on this data dir yet")
        return Check("log store", False, f"cannot be read: {one_line(exc)}")
    if pending:
        return Check("log store", False, f"{len(pending)} pending migration(s): heliograph migrate")
    return Check("log store", True, f"opens; {rows[0]['n']} row(s)")


async def store_of_server(url: str) -> Check:
    """A server holds the store: its /healthz says whether it is storing rows."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            answer = await client.get(url.rstrip("/") + "/healthz")
        health = answer.json()
    except Exception as exc:
        return Check("log store", False, f"held by a server that does not answer at {url}: {exc}")
    if answer.status_code == 200:
        return Check("log store", True, f"held by the server at {url}, which stores rows")
    return Check("log store", False, f"the server at {url} is degraded: {health.get('reason')}")


def metadata(url: str) -> Check:
    from heliograph.meta import db

    engine = db.connect(url)
    name = f"metadata database ({engine.dialect.name})"
    try:
        pending = db.pending_revisions(engine)
    except Exception as exc:
        return Check(name, False, f"cannot be reached: {one_line(exc)}")
    finally:
        engine.dispose()
    if pending:
        return Check(name, False, f"{len(pending)} pending migration(s): heliograph migrate")
    return Check(name, True, "reachable, migrations current")


async def redis(url: str) -> Check:
    if not url:
        return Check("redis", True, "not configured: cache and rate limits are in-process")
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        await client.ping()
        return Check("redis", True, "answers PING")
    except Exception as exc:
        return Check("redis", False, f"cannot be reached: {one_line(exc)}")
    finally:
        await client.aclose()


async def providers(settings: Settings, names: tuple[str, ...]) -> list[Check]:
    """Each provider's base URL answers (any HTTP status), through the outbound policy."""
    from heliograph.httpclient.pool import ConnectionPool
    from heliograph.outbound.policy import OutboundPolicy

    pool = ConnectionPool(TIMEOUT_S, TIMEOUT_S, policy=OutboundPolicy.from_settings(settings))
    chosen = names or tuple(settings.provider_base_urls)
    try:
        return list(await asyncio.gather(*(_provider(pool, settings, n) for n in chosen)))
    finally:
        pool.close()


async def _provider(pool: ConnectionPool, settings: Settings, name: str) -> Check:
    label = f"provider {name}"
    if name not in settings.provider_base_urls:
        return Check(label, False, "not configured")
    url = settings.base_url(name)
    try:
        async with asyncio.timeout(TIMEOUT_S * 2):
            answer = await pool.request("HEAD", url + "/", [("user-agent", "heliograph-doctor")])
        answer.release()
    except (Exception, TimeoutError) as exc:
        return Check(label, False, f"{url} cannot be reached: {one_line(exc)}")
    return Check(label, True, f"{url} answers (HTTP {answer.status})")

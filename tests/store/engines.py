"""The engines the store's tests run on.

Without `HELIOGRAPH_TEST_CLICKHOUSE_URL`, on chDB both ways the app can reach it: chDB's own
session (store/chdb_engine.py) and clickhouse-connect's chDB backend (`chdb:///path`,
store/connect_engine.py). With it set to a ClickHouse server's URL
(`http://default:@127.0.0.1:8123`), on that server instead, through clickhouse-connect:
each test starts from an empty `heliograph` database there (so never point it at a server
holding data you want).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.connect_engine import ClickHouseConnectEngine, chdb_url
from heliograph.store.sql_text import DATABASE

SERVER_URL_ENV = "HELIOGRAPH_TEST_CLICKHOUSE_URL"
SERVER_URL = os.environ.get(SERVER_URL_ENV, "")
ENGINE_KINDS = ("server",) if SERVER_URL else ("chdb-core", "chdb-connect")

Engine = ChdbEngine | ClickHouseConnectEngine


async def open_engine(kind: str, path: Path) -> Engine:
    """An open engine of `kind` on an empty store (`path`: where chDB keeps it)."""
    if kind == "chdb-core":
        engine: Engine = ChdbEngine(path)
        await engine.open()
        return engine
    if kind == "chdb-connect":
        engine = ClickHouseConnectEngine(chdb_url(path))
        await engine.open()
        return engine
    await asyncio.to_thread(_drop_database)
    engine = ClickHouseConnectEngine(SERVER_URL)
    await engine.open()  # creates it again, empty
    return engine


def _drop_database() -> None:
    # Through a client of its own: the engine's names the database in every call.
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=SERVER_URL, autogenerate_session_id=False)
    try:
        client.command(f"DROP DATABASE IF EXISTS {DATABASE} SYNC")
    finally:
        client.close()

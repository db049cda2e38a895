"""`heliograph migrate`: pending migrations of the metadata database and the log store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command

from heliograph.meta import db
from heliograph.store.schema import MIGRATIONS
from tests.cli.helpers import Operator
from tests.server import HeliographProcess, clean_environ

# Lists the store's tables from a process of its own (chDB opens one store per process).
LIST_TABLES = """
import asyncio, sys
from heliograph.store.chdb_engine import ChdbEngine
async def main():
    engine = ChdbEngine(__import__("pathlib").Path(sys.argv[1]))
    await engine.open()
    rows = await engine.select("SELECT name FROM system.tables WHERE database = 'heliograph'")
    await engine.close()
    print(" ".join(sorted(row["name"] for row in rows)))
asyncio.run(main())
"""


def _store_tables(data_dir: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", LIST_TABLES, str(data_dir / "clickhouse")],
        capture_output=True,
        text=True,
        env=clean_environ(),
        check=True,
    )
    return set(result.stdout.split())


def _revisions() -> list[str]:
    return sorted(path.stem.split("_")[0] for path in db.MIGRATIONS_DIR.glob("versions/m*.py"))


def test_show_lists_everything_pending_then_migrate_applies_it(tmp_path: Path, database_url: str):
    operator = Operator(tmp_path / "data", database_url)
    shown = operator.ok("migrate", "--show").splitlines()
    revisions = _revisions()
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert shown[0] == f"metadata database ({dialect}): {len(revisions)} pending"
    assert [line.split(":")[0].strip() for line in shown[1 : 1 + len(revisions)]] == revisions
    assert shown[1 + len(revisions)] == f"log store: {len(MIGRATIONS)} pending"
    assert [line.strip() for line in shown[2 + len(revisions) :]] == [m.name for m in MIGRATIONS]
    assert _store_tables(operator.data_dir) == set(), "--show creates no table"

    applied = operator.ok("migrate")
    assert f"{len(revisions)} applied" in applied and f"{len(MIGRATIONS)} applied" in applied
    assert {"request_response_rmt", "heliograph_migrations"} <= _store_tables(operator.data_dir)
    assert operator.ok("migrate", "--show") == (
        f"metadata database ({dialect}): up to date\nlog store: up to date\n"
    )


def test_only_the_revisions_after_the_current_one_are_pending(tmp_path: Path, database_url: str):
    operator = Operator(tmp_path / "data", database_url)
    operator.ok("migrate")
    engine = db.connect(database_url)
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    engine.dispose()
    newest = _revisions()[-1]
    shown = operator.ok("migrate", "--show").splitlines()
    assert shown[1].startswith(f"  {newest}: ") and shown[0].endswith(": 1 pending")
    assert shown[2] == "log store: up to date"
    assert operator.ok("migrate").splitlines()[1].startswith(f"  {newest}: ")


def test_a_running_servers_store_is_left_alone(start_server):
    server: HeliographProcess = start_server()
    result = Operator(server.data_dir).run("migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "metadata database (sqlite): up to date\n"
        f"log store: skipped, the log store of {server.data_dir} is in use by a running server\n"
    )


def test_a_clickhouse_server_that_cannot_be_reached_is_named_and_fails_the_command(
    tmp_path: Path,
):
    """With clickhouse_url set, the log store migrated is the server's, not the data dir's.
    (HELIOGRAPH_TEST_CLICKHOUSE_URL runs tests/store's migrations on a real one.)"""
    operator = Operator(tmp_path / "data")
    operator.env["HELIOGRAPH_CLICKHOUSE_URL"] = "http://default:secret@127.0.0.1:9"
    result = operator.run("migrate")
    assert result.returncode == 1
    assert "metadata database (sqlite):" in result.stdout
    assert "cannot migrate the log store: The log store is unavailable" in result.stderr
    assert "secret" not in result.stderr
    assert not (operator.data_dir / "clickhouse").exists(), "no embedded store is made"

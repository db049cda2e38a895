"""The schema's statements on a ClickHouse cluster: ON CLUSTER after the object's name,
Replicated engines with the replica path, INSERTs left to run once."""

from __future__ import annotations

import pytest

from heliograph.store import schema
from heliograph.store.cluster_ddl import is_ddl, on_cluster

PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = ReplacingMergeTree(updated_at) "
            "ORDER BY a",
            "CREATE TABLE IF NOT EXISTS t ON CLUSTER main (a UInt8) "
            f"ENGINE = ReplicatedReplacingMergeTree({PATH}, updated_at) ORDER BY a",
        ),
        (
            "CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = MergeTree ORDER BY a",
            f"CREATE TABLE IF NOT EXISTS t ON CLUSTER main (a UInt8) "
            f"ENGINE = ReplicatedMergeTree({PATH}) ORDER BY a",
        ),
        (
            "CREATE TABLE IF NOT EXISTS c (a UInt8) ENGINE = AggregatingMergeTree() ORDER BY a",
            f"CREATE TABLE IF NOT EXISTS c ON CLUSTER main (a UInt8) "
            f"ENGINE = ReplicatedAggregatingMergeTree({PATH}) ORDER BY a",
        ),
        (
            "CREATE TABLE IF NOT EXISTS v AS t ENGINE = MergeTree ORDER BY (o, r)",
            f"CREATE TABLE IF NOT EXISTS v ON CLUSTER main AS t "
            f"ENGINE = ReplicatedMergeTree({PATH}) ORDER BY (o, r)",
        ),
        (
            "CREATE MATERIALIZED VIEW IF NOT EXISTS mv TO t AS SELECT 1",
            "CREATE MATERIALIZED VIEW IF NOT EXISTS mv ON CLUSTER main TO t AS SELECT 1",
        ),
        (
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS b UInt8",
            "ALTER TABLE t ON CLUSTER main ADD COLUMN IF NOT EXISTS b UInt8",
        ),
        ("DROP VIEW IF EXISTS mv", "DROP VIEW IF EXISTS mv ON CLUSTER main"),
        ("INSERT INTO t SELECT * FROM u", "INSERT INTO t SELECT * FROM u"),
    ],
)
def test_statements_on_a_cluster(sql: str, expected: str):
    assert on_cluster(sql, "main") == expected


def test_without_a_cluster_nothing_changes():
    assert all(on_cluster(m.sql, "") == m.sql for m in schema.MIGRATIONS)


def test_every_migration_is_either_ddl_or_a_backfill_insert():
    for migration in schema.MIGRATIONS:
        clustered = on_cluster(migration.sql, "main")
        if is_ddl(migration.sql):
            assert " ON CLUSTER main" in clustered, migration.name
            # No engine is left unreplicated.
            assert "= MergeTree" not in clustered and "= ReplacingMergeTree" not in clustered
            assert "= AggregatingMergeTree" not in clustered, migration.name
        else:
            assert migration.sql.lstrip().startswith("INSERT INTO"), migration.name
            assert clustered == migration.sql

"""The schema's statements for a ClickHouse cluster: `ON CLUSTER`, Replicated table engines.

The migrations (store/schema.py) are written for one server, as chDB runs them. With a
cluster name configured, each DDL statement is sent once with `ON CLUSTER <name>`, so every
host runs it, and each MergeTree-family engine becomes its Replicated twin, so the replicas
of a shard hold the same rows: a row inserted into one replica (the log sink's insert, a
migration's backfill `INSERT ... SELECT`) reaches the others through ClickHouse Keeper. The
tables are not sharded (no Distributed tables): a cluster here is one shard and its replicas.

The replica path uses the server's macros, `{shard}` and `{replica}`, which a cluster's
hosts define (ClickHouse's own docs and Helm charts do); `{database}` and `{table}` are
filled in by ClickHouse.
"""

from __future__ import annotations

import re

REPLICA_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
REPLICA_NAME = "{replica}"

# The statement's head, up to and including the object's name: `ON CLUSTER` goes after it.
_HEAD = re.compile(
    r"""^\s*(
        CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.]+
      | ALTER\s+TABLE\s+[\w.]+
      | DROP\s+(?:TABLE|VIEW|DATABASE)\s+(?:IF\s+EXISTS\s+)?[\w.]+
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A MergeTree-family engine, with its arguments if any (never nested in the migrations).
_ENGINE = re.compile(
    r"ENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing)?MergeTree"
    r"(?:\s*\(([^()]*)\))?",
    re.IGNORECASE,
)


def is_ddl(sql: str) -> bool:
    """Whether `sql` is a statement that `ON CLUSTER` applies to (not an INSERT)."""
    return _HEAD.match(sql) is not None


def on_cluster(sql: str, cluster: str) -> str:
    """`sql` as it is run on `cluster`: DDL gets `ON CLUSTER` and Replicated engines; any
    other statement (a backfill's INSERT) is returned as is, to run once: replication copies
    its rows. An empty `cluster` leaves every statement as is."""
    if not cluster:
        return sql
    head = _HEAD.match(sql)
    if head is None:
        return sql
    sql = f"{sql[: head.end()]} ON CLUSTER {cluster}{sql[head.end() :]}"
    return _ENGINE.sub(_replicated, sql)


def _replicated(match: re.Match[str]) -> str:
    kind = match.group(1) or ""
    arguments = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"]
    if match.group(2) and match.group(2).strip():
        arguments.append(match.group(2).strip())
    return f"ENGINE = Replicated{kind}MergeTree({', '.join(arguments)})"

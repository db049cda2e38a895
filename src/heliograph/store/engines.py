"""Which engine holds the log store: chDB in the data dir, or a ClickHouse server.

Both speak the same SQL (store/engine.py's protocol). Embedded, the store goes through
chDB's own session (chdb_engine.py) rather than clickhouse-connect's chDB backend
(connect_engine.py with a `chdb://` URL), which works as well (the store's tests run on
both) but took more CPU per row ingested in every comparison: 18,469 and 14,878 rows per CPU
second from the log sink's lines against 16,038 and 12,928; 16,186 and 13,443 from a spool
segment against 14,516 and 13,090; query latency differed by no more than between rounds
(bench/store_engines.py: two runs, medians of 5 alternating rounds of 60,000 rows of
1 KB-bodied completions each, on a shared 2-core machine; docs/scale-out.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.config import Settings
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.connect_engine import ClickHouseConnectEngine
from heliograph.store.hql_readers import HqlReaders

StoreEngine = ChdbEngine | ClickHouseConnectEngine


@dataclass(frozen=True)
class HqlScope:
    """What marks an HQL query and what it may read: hql/'s, handed down by the app."""

    org_param: str
    tables: tuple[str, ...]
    secret: bytes  # the server's secret, from which the users' passwords derive


STORE_DIR = "clickhouse"  # in the data dir


def store_engine(settings: Settings, hql: HqlScope | None = None) -> StoreEngine:
    """The engine the settings name (not opened yet). On a server, the queries `hql` scopes
    run as their organization's read-only user (store/hql_readers.py)."""
    if not settings.clickhouse_url:
        return ChdbEngine(settings.data_dir / STORE_DIR)
    engine = ClickHouseConnectEngine(settings.clickhouse_url, cluster=settings.clickhouse_cluster)
    if hql is not None:
        engine.hql_readers = HqlReaders(
            settings.clickhouse_url, hql.secret, hql.tables, hql.org_param, engine.cluster
        )
    return engine

"""Which engine holds the log store: chDB in the data dir, or a ClickHouse server.

Both speak the same SQL (store/engine.py's protocol). Embedded, the store goes through
chDB's own session (chdb_engine.py) rather than clickhouse-connect's chDB backend
(connect_engine.py with a `chdb://` URL), which works as well (the store's tests run on
both) but took more CPU per row ingested: 16,038 against 18,469 rows per CPU second from
the log sink's lines, 14,516 against 16,186 from a spool segment, with no difference in
query latency beyond the noise (bench/store_engines.py, medians of 5 alternating rounds of
60,000 rows of 1 KB-bodied completions each, on a shared 2-core machine).
"""

from __future__ import annotations

from heliograph.config import Settings
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.connect_engine import ClickHouseConnectEngine

StoreEngine = ChdbEngine | ClickHouseConnectEngine
STORE_DIR = "clickhouse"  # in the data dir


def store_engine(settings: Settings) -> StoreEngine:
    """The engine the settings name (not opened yet)."""
    if settings.clickhouse_url:
        return ClickHouseConnectEngine(settings.clickhouse_url, cluster=settings.clickhouse_cluster)
    return ChdbEngine(settings.data_dir / STORE_DIR)

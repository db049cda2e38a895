"""ClickHouse schema as named, append-only migrations, the same list for chDB and a server.

Table shapes follow Helicone's `request_response_rmt` so that HQL written for Helicone
runs here unchanged. Applied migration names are recorded in `heliograph_migrations`.
On a ClickHouse cluster each statement runs `ON CLUSTER` with Replicated engines
(store/cluster_ddl.py); on a server, under a lock that many processes may wait for
(store/migration_lock.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.store.cluster_ddl import on_cluster
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.migration_lock import migration_lock


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "m001_create_request_response_rmt",
        """
CREATE TABLE IF NOT EXISTS request_response_rmt
(
    response_id Nullable(UUID),
    response_created_at Nullable(DateTime64(3, 'UTC')),
    latency Nullable(Int64),
    status Int64,
    completion_tokens Nullable(Int64),
    prompt_tokens Nullable(Int64),
    prompt_cache_write_tokens Int64 DEFAULT 0,
    prompt_cache_read_tokens Int64 DEFAULT 0,
    prompt_audio_tokens Int64 DEFAULT 0,
    completion_audio_tokens Int64 DEFAULT 0,
    reasoning_tokens Int64 DEFAULT 0,
    model LowCardinality(String) CODEC(ZSTD(1)),
    ai_gateway_body_mapping String DEFAULT '',
    request_id UUID,
    request_created_at DateTime64(3, 'UTC'),
    user_id LowCardinality(String) CODEC(ZSTD(1)),
    organization_id UUID,
    proxy_key_id Nullable(UUID),
    threat Nullable(Bool),
    time_to_first_token Nullable(Int64),
    provider LowCardinality(String) CODEC(ZSTD(1)),
    target_url Nullable(String),
    country_code Nullable(String),
    properties Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    scores Map(LowCardinality(String), Int64) CODEC(ZSTD(1)),
    request_body String DEFAULT '' CODEC(ZSTD(1)),
    response_body String DEFAULT '' CODEC(ZSTD(1)),
    assets Array(String) CODEC(ZSTD(1)),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3),
    cache_reference_id UUID DEFAULT '00000000-0000-0000-0000-000000000000',
    request_referrer String DEFAULT '',
    cache_enabled Bool DEFAULT false,
    cost UInt64 DEFAULT 0,
    gateway_router_id String DEFAULT '',
    gateway_deployment_target String DEFAULT '',
    prompt_id String DEFAULT '',
    prompt_version String DEFAULT '',
    is_passthrough_billing Bool DEFAULT false,
    size_bytes UInt32 DEFAULT 0,
    storage_location String DEFAULT 'clickhouse',
    INDEX idx_properties_key mapKeys(properties) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_properties_value mapValues(properties) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scores_key mapKeys(scores) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_request_id_bf request_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(request_created_at)
ORDER BY (organization_id, provider, model, user_id, request_created_at, request_id)
""",
    ),
)


MIGRATIONS += (
    Migration(
        "m002_rate_limit_and_cache_columns",
        "ALTER TABLE request_response_rmt "
        "ADD COLUMN IF NOT EXISTS rate_limited Bool DEFAULT false, "
        "ADD COLUMN IF NOT EXISTS cache_saved_cost UInt64 DEFAULT 0",
    ),
    Migration(
        "m003_create_rate_limit_log",
        """
CREATE TABLE IF NOT EXISTS rate_limit_log
(
    organization_id UUID,
    request_id UUID,
    created_at DateTime64(3, 'UTC'),
    user_id String,
    properties Map(LowCardinality(String), String)
)
ENGINE = MergeTree
ORDER BY (organization_id, created_at)
""",
    ),
    Migration(
        "m004_rate_limit_log_mv",
        """
CREATE MATERIALIZED VIEW IF NOT EXISTS rate_limit_log_mv TO rate_limit_log AS
SELECT organization_id, request_id, request_created_at AS created_at, user_id, properties
FROM request_response_rmt WHERE rate_limited
""",
    ),
    # Helicone's cache_metrics: one row per hit, the saved numbers are the original call's.
    Migration(
        "m005_create_cache_metrics",
        """
CREATE TABLE IF NOT EXISTS cache_metrics
(
    organization_id UUID,
    date Date,
    hour UInt8,
    request_id UUID,
    model SimpleAggregateFunction(any, String),
    provider SimpleAggregateFunction(any, String),
    cache_hit_count SimpleAggregateFunction(sum, UInt64),
    saved_latency_ms SimpleAggregateFunction(sum, UInt64),
    saved_completion_tokens SimpleAggregateFunction(sum, UInt64),
    saved_prompt_tokens SimpleAggregateFunction(sum, UInt64),
    saved_completion_audio_tokens SimpleAggregateFunction(sum, UInt64),
    saved_prompt_audio_tokens SimpleAggregateFunction(sum, UInt64),
    saved_prompt_cache_write_tokens SimpleAggregateFunction(sum, UInt64),
    saved_prompt_cache_read_tokens SimpleAggregateFunction(sum, UInt64),
    saved_cost SimpleAggregateFunction(sum, UInt64),
    last_hit SimpleAggregateFunction(max, DateTime64(3)),
    first_hit SimpleAggregateFunction(min, DateTime64(3))
)
ENGINE = AggregatingMergeTree()
ORDER BY (organization_id, date, hour, request_id)
""",
    ),
    Migration(
        "m006_cache_metrics_mv",
        """
CREATE MATERIALIZED VIEW IF NOT EXISTS cache_metrics_mv TO cache_metrics AS
SELECT
    hit.organization_id AS organization_id,
    toDate(hit.request_created_at) AS date,
    toHour(hit.request_created_at) AS hour,
    hit.cache_reference_id AS request_id,
    hit.model AS model,
    hit.provider AS provider,
    toUInt64(1) AS cache_hit_count,
    toUInt64(0) AS saved_latency_ms,
    toUInt64(ifNull(hit.completion_tokens, 0)) AS saved_completion_tokens,
    toUInt64(ifNull(hit.prompt_tokens, 0)) AS saved_prompt_tokens,
    toUInt64(hit.completion_audio_tokens) AS saved_completion_audio_tokens,
    toUInt64(hit.prompt_audio_tokens) AS saved_prompt_audio_tokens,
    toUInt64(hit.prompt_cache_write_tokens) AS saved_prompt_cache_write_tokens,
    toUInt64(hit.prompt_cache_read_tokens) AS saved_prompt_cache_read_tokens,
    hit.cache_saved_cost AS saved_cost,
    hit.request_created_at AS last_hit,
    hit.request_created_at AS first_hit
FROM request_response_rmt AS hit
WHERE hit.cache_reference_id != toUUID('00000000-0000-0000-0000-000000000000')
""",
    ),
)


# A change to a logged request (properties, scores) is a new version row (store/row_versions):
# the views that count calls must not count it again, so they read first versions only.
MIGRATIONS += (
    Migration(
        "m007_row_version",
        "ALTER TABLE request_response_rmt ADD COLUMN IF NOT EXISTS row_version UInt32 DEFAULT 0",
    ),
    Migration("m008_drop_rate_limit_log_mv", "DROP VIEW IF EXISTS rate_limit_log_mv"),
    Migration(
        "m009_rate_limit_log_mv_first_versions",
        """
CREATE MATERIALIZED VIEW IF NOT EXISTS rate_limit_log_mv TO rate_limit_log AS
SELECT organization_id, request_id, request_created_at AS created_at, user_id, properties
FROM request_response_rmt WHERE rate_limited AND row_version = 0
""",
    ),
    Migration("m010_drop_cache_metrics_mv", "DROP VIEW IF EXISTS cache_metrics_mv"),
    Migration(
        "m011_cache_metrics_mv_first_versions",
        """
CREATE MATERIALIZED VIEW IF NOT EXISTS cache_metrics_mv TO cache_metrics AS
SELECT
    hit.organization_id AS organization_id,
    toDate(hit.request_created_at) AS date,
    toHour(hit.request_created_at) AS hour,
    hit.cache_reference_id AS request_id,
    hit.model AS model,
    hit.provider AS provider,
    toUInt64(1) AS cache_hit_count,
    toUInt64(0) AS saved_latency_ms,
    toUInt64(ifNull(hit.completion_tokens, 0)) AS saved_completion_tokens,
    toUInt64(ifNull(hit.prompt_tokens, 0)) AS saved_prompt_tokens,
    toUInt64(hit.completion_audio_tokens) AS saved_completion_audio_tokens,
    toUInt64(hit.prompt_audio_tokens) AS saved_prompt_audio_tokens,
    toUInt64(hit.prompt_cache_write_tokens) AS saved_prompt_cache_write_tokens,
    toUInt64(hit.prompt_cache_read_tokens) AS saved_prompt_cache_read_tokens,
    hit.cache_saved_cost AS saved_cost,
    hit.request_created_at AS last_hit,
    hit.request_created_at AS first_hit
FROM request_response_rmt AS hit
WHERE hit.cache_reference_id != toUUID('00000000-0000-0000-0000-000000000000')
  AND hit.row_version = 0
""",
    ),
)


# Helicone's `scores` is Map(..., Int64), kept as is for HQL; fractional scores (Ragas'
# 0.87) go to their own map. A name is in one of the two (store/scores.py).
MIGRATIONS += (
    Migration(
        "m012_score_values",
        "ALTER TABLE request_response_rmt ADD COLUMN IF NOT EXISTS "
        "score_values Map(LowCardinality(String), Float64) CODEC(ZSTD(1))",
    ),
)


# Readers see each request's newest version without FINAL (store/newest.py). Requests with
# more than one row are few: every row of theirs is also kept in `request_versions` (a copy
# with the same columns: a column added to request_response_rmt must be added there too),
# where the newest is picked; every other request's one row is read where it is. Version rows
# get there through the view, rows of a request id logged twice through the log sink
# (store/relogged.py), and the backfill brings what a store held before.
MIGRATIONS += (
    Migration(
        "m013_create_request_versions",
        "CREATE TABLE IF NOT EXISTS request_versions AS request_response_rmt "
        "ENGINE = MergeTree ORDER BY (organization_id, request_id)",
    ),
    # Each view comes before its backfill, so no row written in between is missed.
    Migration(
        "m014_request_versions_mv",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS request_versions_mv TO request_versions AS "
        "SELECT * FROM request_response_rmt WHERE row_version > 0",
    ),
    Migration(
        "m015_backfill_request_versions",
        """
INSERT INTO request_versions SELECT * FROM request_response_rmt
WHERE (organization_id, request_id) IN (
    SELECT organization_id, request_id FROM request_response_rmt
    GROUP BY organization_id, request_id HAVING count() > 1
)
""",
    ),
    # Every logged request id, ordered by id: the log sink looks a batch's ids up here. Small
    # granules and compressed blocks keep a lookup to the few KB around each id: 2-3 ms for
    # 20 new ids and ~25 ms for 500, at 3M and 12M rows alike, where the request_id bloom
    # filter of request_response_rmt took 10-40 ms and 65-244 ms (store/relogged.py).
    Migration(
        "m016_create_logged_request_ids",
        """
CREATE TABLE IF NOT EXISTS logged_request_ids
(
    request_id UUID,
    organization_id UUID
)
ENGINE = ReplacingMergeTree
ORDER BY (request_id, organization_id)
SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 8192
""",
    ),
    Migration(
        "m017_logged_request_ids_mv",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS logged_request_ids_mv TO logged_request_ids AS "
        "SELECT request_id, organization_id FROM request_response_rmt WHERE row_version = 0",
    ),
    Migration(
        "m018_backfill_logged_request_ids",
        "INSERT INTO logged_request_ids SELECT request_id, organization_id "
        "FROM request_response_rmt WHERE row_version = 0",
    ),
)


# The inputs an assembled prompt was filled with (JSON), kept with the call they made:
# GET /v1/prompt-2025/id/{promptId}/{versionId}/inputs reads them here. Added to
# request_versions too, which copies request_response_rmt's columns by position.
MIGRATIONS += tuple(
    Migration(
        f"m019_prompt_inputs_{table}",
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS prompt_inputs String DEFAULT '' "
        "CODEC(ZSTD(1))",
    )
    for table in ("request_response_rmt", "request_versions")
)


# Helicone's `tags`: a tag set on an entity (a session), newest wins (store/session_tags.py).
MIGRATIONS += (
    Migration(
        "m020_create_tags",
        """
CREATE TABLE IF NOT EXISTS tags
(
    organization_id UUID,
    entity_type LowCardinality(String),
    entity_id String,
    tag String,
    created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (organization_id, entity_type, entity_id, created_at)
""",
    ),
)


# Helicone-Moderations-Enabled's verdict on the call (gateway/moderation.py): "" when not
# checked, else clean, flagged, error_allowed or error_blocked; and the categories flagged.
# Added to request_versions too, which copies request_response_rmt's columns by position.
MIGRATIONS += tuple(
    Migration(
        f"m021_moderation_{table}",
        f"ALTER TABLE {table} "
        "ADD COLUMN IF NOT EXISTS moderation LowCardinality(String) DEFAULT '', "
        "ADD COLUMN IF NOT EXISTS moderation_categories Array(LowCardinality(String))",
    )
    for table in ("request_response_rmt", "request_versions")
)


_RECORD_TABLE = (
    "CREATE TABLE IF NOT EXISTS heliograph_migrations "
    "(name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
    "ENGINE = MergeTree ORDER BY name"
)


async def _applied(engine: ClickHouseEngine, cluster: str = "") -> set[str]:
    await engine.execute(on_cluster(_RECORD_TABLE, cluster))
    return {row["name"] for row in await engine.select("SELECT name FROM heliograph_migrations")}


async def pending_migrations(engine: ClickHouseEngine) -> list[str]:
    """The names of the migrations `apply_migrations` would apply, in order (creating
    nothing: a new store has no record table yet)."""
    recorded = await engine.select(
        "SELECT 1 AS found FROM system.tables "
        "WHERE database = currentDatabase() AND name = 'heliograph_migrations'"
    )
    done = await _applied(engine) if recorded else set()
    return [migration.name for migration in MIGRATIONS if migration.name not in done]


async def apply_migrations(
    engine: ClickHouseEngine, cluster: str = "", shared: bool = False
) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied now.

    `cluster`: run them `ON CLUSTER` it. `shared`: other processes may migrate the same
    store (a ClickHouse server): when any is pending, they are applied under the migration
    lock, so each runs once."""
    if not shared:
        return await _apply(engine, cluster)
    if not await pending_migrations(engine):
        return []
    async with migration_lock(engine, cluster):
        return await _apply(engine, cluster)  # what another process left pending


async def _apply(engine: ClickHouseEngine, cluster: str) -> list[str]:
    done = await _applied(engine, cluster)
    applied = []
    for migration in MIGRATIONS:
        if migration.name in done:
            continue
        await engine.execute(on_cluster(migration.sql, cluster))
        await engine.execute(
            "INSERT INTO heliograph_migrations (name) VALUES ({name:String})",
            {"name": migration.name},
        )
        applied.append(migration.name)
    return applied

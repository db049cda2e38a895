"""ClickHouse schema as named, append-only migrations, the same list for chDB and a server.

Table shapes follow Helicone's `request_response_rmt` so that HQL written for Helicone
runs here unchanged. Applied migration names are recorded in `heliograph_migrations`.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.store.engine import ClickHouseEngine


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


async def apply_migrations(engine: ClickHouseEngine) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied now."""
    await engine.execute(
        "CREATE TABLE IF NOT EXISTS heliograph_migrations "
        "(name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = MergeTree ORDER BY name"
    )
    done = {row["name"] for row in await engine.select("SELECT name FROM heliograph_migrations")}
    applied = []
    for migration in MIGRATIONS:
        if migration.name in done:
            continue
        await engine.execute(migration.sql)
        await engine.execute(
            "INSERT INTO heliograph_migrations (name) VALUES ({name:String})",
            {"name": migration.name},
        )
        applied.append(migration.name)
    return applied

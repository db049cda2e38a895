"""Everyday ClickHouse analytics SQL runs through the sandbox unchanged, on A's rows only."""

from __future__ import annotations

import pytest

from tests.hql.conftest import World

EVERYDAY = [
    "SELECT model, count() AS n, avg(latency) AS mean_ms, quantile(0.95)(latency) AS p95 "
    "FROM request_response_rmt GROUP BY model ORDER BY n DESC",
    "SELECT toStartOfHour(request_created_at) AS hour, countIf(status >= 500) AS errors "
    "FROM request_response_rmt GROUP BY hour ORDER BY hour WITH FILL",
    "SELECT user_id, sum(cost) / 1e9 AS usd, uniqExact(properties['Helicone-Session-Id']) AS s "
    "FROM request_response_rmt GROUP BY user_id HAVING usd >= 0 ORDER BY usd DESC LIMIT 5",
    "SELECT JSONExtractString(request_body, 'model') AS asked, "
    "JSONExtractString(response_body, 'model') AS answered FROM request_response_rmt LIMIT 3",
    "SELECT arrayJoin(mapKeys(properties)) AS key, count() AS n FROM request_response_rmt "
    "GROUP BY key ORDER BY n DESC",
    "SELECT request_id, row_number() OVER (PARTITION BY model ORDER BY request_created_at) AS i "
    "FROM request_response_rmt",
    "WITH totals AS (SELECT model, sum(cost) AS c FROM request_response_rmt GROUP BY model) "
    "SELECT model, c, round(c / (SELECT sum(c) FROM totals), 3) AS share FROM totals",
    "SELECT r.request_id, m.cache_hit_count FROM request_response_rmt AS r "
    "INNER JOIN cache_metrics AS m ON m.request_id = r.request_id",
    "SELECT multiIf(status < 300, 'ok', status < 500, 'client', 'server') AS kind, count() "
    "FROM request_response_rmt GROUP BY kind",
    "SELECT dateDiff('millisecond', request_created_at, response_created_at) AS ms "
    "FROM request_response_rmt WHERE has(mapKeys(properties), 'team') LIMIT 2",
    "SELECT model, argMax(request_id, request_created_at) AS latest, any(user_id) AS someone, "
    "groupArray(3)(status) AS statuses FROM request_response_rmt GROUP BY model",
    "SELECT formatDateTime(request_created_at, '%Y-%m-%d') AS d, sumIf(cost, status = 200) AS c "
    "FROM request_response_rmt GROUP BY d",
    "SELECT lower(model) LIKE 'gpt%' AS gpt, ifNull(prompt_tokens, 0) + "
    "coalesce(completion_tokens, 0) AS tokens, total_tokens FROM request_response_rmt LIMIT 4",
    "SELECT * FROM request_response_rmt WHERE request_created_at > now() - INTERVAL 1 HOUR "
    "AND model IN ('gpt-4o', 'gpt-4o-mini') ORDER BY request_created_at DESC LIMIT 10",
    "SELECT count() FROM request_response_rmt WHERE request_id IN "
    "(SELECT request_id FROM cache_metrics) OR cache_reference_id != toUUID("
    "'00000000-0000-0000-0000-000000000000')",
    "SELECT model, count() FROM request_response_rmt GROUP BY model WITH TOTALS",
    "SELECT toString(request_id) AS id FROM request_response_rmt "
    "INTERSECT SELECT toString(request_id) FROM request_response_rmt",
    "SELECT CAST(status AS String) AS s, status::Float64 / 100 AS f, toDecimal64(cost, 2) AS d "
    "FROM request_response_rmt LIMIT 2",
]


@pytest.mark.parametrize("sql", EVERYDAY)
def test_everyday_sql_runs(world: World, sql: str):
    rows = world.run(sql)
    assert rows
    world.assert_no_b_data(rows)


def test_results_match_a_rows(world: World):
    rows = world.run(
        "SELECT model, count() AS n FROM request_response_rmt GROUP BY model ORDER BY model"
    )
    # 10 calls alternating two models, plus a cache hit of gpt-4o-mini.
    assert rows == [{"model": "gpt-4o", "n": 5}, {"model": "gpt-4o-mini", "n": 6}]
    errors = world.run("SELECT countIf(status >= 500) AS e FROM request_response_rmt")
    assert errors == [{"e": 1}]
    hits = world.run("SELECT toString(request_id) AS r, cache_hit_count AS hits FROM cache_metrics")
    assert hits == [{"r": world.a.request_ids[0], "hits": 1}]

"""Hostile HQL against a real chDB store holding two organizations' rows.

Every query is run as organization A. Each one is either refused with the expected code,
or runs and returns only A's data: its result is checked for every id and marker of
organization B (also in hex), and counts must equal A's own. `<A>`, `<B>`, `<B1>` and
`<A_UPDATED>` in a query stand for A's and B's organization ids, a request of B, and the
request of A that has two stored versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.hql import errors
from heliograph.hql.errors import HqlError
from tests.hql.conftest import World

Rows = list[dict[str, Any]]
Check = Callable[[Rows, World], None]


@dataclass(frozen=True)
class Refused:
    codes: tuple[str, ...]
    names: str = ""  # what the message must name


def refused(*codes: str, names: str = "") -> Refused:
    return Refused(codes, names)


def count_is(expected: Callable[[World], int]) -> Check:
    def check(rows: Rows, world: World) -> None:
        assert rows == [{"n": expected(world)}]

    return check


def a_requests(world: World) -> int:
    return world.a.requests


def only_a_ids(rows: Rows, world: World) -> None:
    ids = {str(value) for row in rows for value in row.values()}
    assert ids and ids <= set(world.a.request_ids)


def only_org_a(rows: Rows, world: World) -> None:
    assert rows and {row["o"] for row in rows} == {world.a.id}


def runs(rows: Rows, world: World) -> None:
    assert rows


STATEMENTS = [
    ("INSERT INTO request_response_rmt (organization_id) VALUES ('<B>')", "INSERT"),
    ("SELECT 1; DROP TABLE request_response_rmt", "2 statements"),
    ("SELECT * FROM request_response_rmt; SELECT * FROM system.tables", "2 statements"),
    ("SELECT 1 /* ; */ ; DELETE FROM request_response_rmt WHERE 1", "2 statements"),
    ("ALTER TABLE request_response_rmt DELETE WHERE 1", "ALTER"),
    ("SET readonly = 0", "SET"),
    ("SHOW TABLES", "SHOW"),
    ("DESCRIBE TABLE system.users", "DESCRIBE"),
    ("EXPLAIN SELECT * FROM system.tables", "EXPLAIN"),
    ("TRUNCATE TABLE request_response_rmt", "TRUNCATE"),
    ("CREATE TABLE stolen AS SELECT * FROM request_response_rmt", "CREATE"),
    ("DROP TABLE request_response_rmt", "DROP"),
    ("ATTACH TABLE stolen FROM '/tmp/x' (a UInt8) ENGINE = Memory", "ATTACH"),
    ("OPTIMIZE TABLE request_response_rmt FINAL", "OPTIMIZE"),
    ("KILL QUERY WHERE 1", "KILL"),
    ("SYSTEM DROP DNS CACHE", "SYSTEM"),
]

CASES: list[tuple[str, Refused | Check]] = [
    *((sql, refused(errors.INVALID_STATEMENT, names=name)) for sql, name in STATEMENTS),
    ("SELECT * INTO stolen FROM request_response_rmt", refused(errors.INVALID_SQL_CONSTRUCT)),
    # System tables and other tables, however spelled.
    ("SELECT * FROM system.tables", refused(errors.INVALID_TABLE, names="system.tables")),
    ("SELECT name FROM `system`.`tables`", refused(errors.INVALID_TABLE)),
    ('SELECT name FROM "system"."users"', refused(errors.INVALID_TABLE)),
    ("SELECT * FROM SYSTEM.TABLES", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM information_schema.tables", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM heliograph.request_response_rmt", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM `heliograph.request_response_rmt`", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM rate_limit_log", refused(errors.INVALID_TABLE, names="rate_limit_log")),
    ("SELECT * FROM heliograph_migrations", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM cache_metrics_mv", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM Request_Response_Rmt", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM (rate_limit_log)", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM (SELECT * FROM system.one)", refused(errors.INVALID_TABLE)),
    (
        "SELECT toString(request_id) FROM request_response_rmt "
        "UNION ALL SELECT name FROM system.tables",
        refused(errors.INVALID_TABLE),
    ),
    (
        "SELECT * FROM request_response_rmt AS a JOIN rate_limit_log AS b ON 1 = 1",
        refused(errors.INVALID_TABLE),
    ),
    ("SELECT 'x' AS x /* harmless? */ FROM system.tables", refused(errors.INVALID_TABLE)),
    (
        "SELECT arrayJoin((SELECT groupArray(user_id) FROM rate_limit_log)) AS u",
        refused(errors.INVALID_TABLE),
    ),
    (
        "SELECT request_id FROM request_response_rmt WHERE user_id = "
        "(SELECT any(user_id) FROM heliograph.request_response_rmt)",
        refused(errors.INVALID_TABLE),
    ),
    # WITH names: never a way to a real table.
    ("WITH system AS (SELECT 1 AS x) SELECT * FROM system.tables", refused(errors.INVALID_TABLE)),
    (
        "WITH secret AS (SELECT * FROM rate_limit_log) SELECT * FROM secret",
        refused(errors.INVALID_TABLE),
    ),
    (
        "WITH rate_limit_log AS (SELECT * FROM rate_limit_log) SELECT * FROM rate_limit_log",
        refused(errors.INVALID_TABLE),
    ),
    (
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a",
        refused(errors.INVALID_TABLE),
    ),
    (
        "WITH request_response_rmt AS (SELECT 1 AS x) SELECT * FROM request_response_rmt",
        refused(errors.INVALID_TABLE),
    ),
    (
        "WITH (SELECT 1) AS rate_limit_log SELECT * FROM rate_limit_log",
        refused(errors.INVALID_TABLE),
    ),
    (
        "SELECT * FROM (WITH c AS (SELECT 1 AS x) SELECT * FROM c) AS d, c",
        refused(errors.INVALID_TABLE),
    ),
    (
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    # Table functions: other tables, other servers, files, URLs.
    ("SELECT * FROM numbers(10)", refused(errors.INVALID_TABLE, names="numbers()")),
    ("SELECT * FROM remote('127.0.0.1', system.one)", refused(errors.INVALID_TABLE)),
    (
        "SELECT * FROM remoteSecure('127.0.0.1', heliograph.request_response_rmt)",
        refused(errors.INVALID_TABLE),
    ),
    (
        "SELECT * FROM clusterAllReplicas('default', heliograph.request_response_rmt)",
        refused(errors.INVALID_TABLE, names="clusterAllReplicas()"),
    ),
    ("SELECT * FROM cluster('default', system.one)", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM url('http://127.0.0.1:1/x', CSV, 'a String')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM file('/etc/passwd', 'LineAsString')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM jdbc('jdbc:x', 'db', 't')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM hdfs('hdfs://h:9000/x', 'CSV')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM input('a String')", refused(errors.INVALID_TABLE, names="input()")),
    ("SELECT * FROM executable('x.sh', 'CSV', 'a String')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM merge('heliograph', '.*')", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM view(SELECT * FROM rate_limit_log)", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM generateRandom('a UInt8') LIMIT 1", refused(errors.INVALID_TABLE)),
    ("SELECT * FROM dictionary('d')", refused(errors.INVALID_TABLE)),
    # Functions off the allowlist, however called.
    ("SELECT sleep(3)", refused(errors.INVALID_FUNCTION, names="sleep")),
    ("SELECT SLEEP(3)", refused(errors.INVALID_FUNCTION)),
    ("SELECT `sleep`(3)", refused(errors.INVALID_FUNCTION)),
    ("SELECT sleepEachRow(1) FROM request_response_rmt", refused(errors.INVALID_FUNCTION)),
    ("SELECT sleepIf(1, 1)", refused(errors.INVALID_FUNCTION)),
    ("SELECT currentDatabase()", refused(errors.INVALID_FUNCTION)),
    ("SELECT currentUser()", refused(errors.INVALID_FUNCTION)),
    ("SELECT user()", refused(errors.INVALID_FUNCTION)),
    ("SELECT getSetting('readonly')", refused(errors.INVALID_FUNCTION, names="getSetting")),
    ("SELECT version(), hostName()", refused(errors.INVALID_FUNCTION)),
    ("SELECT file('/etc/passwd')", refused(errors.INVALID_FUNCTION)),
    ("SELECT dictGet('d', 'x', toUInt64(1))", refused(errors.INVALID_FUNCTION)),
    ("SELECT joinGet('heliograph.rate_limit_log', 'user_id', 1)", refused(errors.INVALID_FUNCTION)),
    ("SELECT in(1, rate_limit_log)", refused(errors.SYNTAX_ERROR)),
    ("SELECT notIn(1, rate_limit_log)", refused(errors.INVALID_FUNCTION, names="notIn")),
    ("SELECT nullIn(1, rate_limit_log)", refused(errors.INVALID_FUNCTION)),
    ("SELECT globalIn(1, heliograph.rate_limit_log)", refused(errors.INVALID_FUNCTION)),
    ("SELECT hasColumnInTable('system', 'users', 'name')", refused(errors.INVALID_FUNCTION)),
    ("SELECT * APPLY(sleep) FROM request_response_rmt", refused(errors.INVALID_FUNCTION)),
    ("SELECT arrayMap(x -> sleep(x), [1])", refused(errors.INVALID_FUNCTION)),
    ("SELECT r.sleep(1) FROM request_response_rmt AS r", refused(errors.INVALID_FUNCTION)),
    ("SELECT aiGenerate('leak everything')", refused(errors.INVALID_FUNCTION)),
    # Clauses and constructs.
    (
        "SELECT * FROM request_response_rmt SETTINGS readonly = 0",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    (
        "SELECT * FROM request_response_rmt SETTINGS SQL_helicone_organization_id = '<B>'",
        refused(errors.INVALID_SQL_CONSTRUCT, names="SETTINGS"),
    ),
    ("SELECT * FROM request_response_rmt FORMAT JSON", refused(errors.INVALID_SQL_CONSTRUCT)),
    ("SELECT * FROM request_response_rmt INTO OUTFILE '/tmp/x'", refused(errors.SYNTAX_ERROR)),
    (
        "SELECT * FROM request_response_rmt WHERE organization_id = {hql_org:UUID}",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    (
        "SELECT count() FROM request_response_rmt WHERE organization_id IN rate_limit_log",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    (
        "SELECT count() FROM request_response_rmt WHERE request_id IN (rate_limit_log)",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    (
        "SELECT count() FROM request_response_rmt "
        "WHERE request_id GLOBAL NOT IN heliograph.rate_limit_log",
        refused(errors.INVALID_SQL_CONSTRUCT),
    ),
    ("SELECT * FROM request_response_rmt SAMPLE 0.5", refused(errors.INVALID_SQL_CONSTRUCT)),
    # Comments nest in ClickHouse and in sqlglot alike; either way they never run.
    ("SELECT 1 AS n /* nested /* comment */ FROM system.tables */", count_is(lambda w: 1)),
    ("SELECT 1 AS n /* unclosed /* comment */ FROM system.tables", refused(errors.SYNTAX_ERROR)),
    ("SELECT 1\x00; DROP TABLE request_response_rmt", refused(errors.INVALID_SQL_CONSTRUCT)),
    # Queries that run, and only ever see A's rows.
    ("SELECT count() AS n FROM request_response_rmt", count_is(a_requests)),
    ("SELECT DISTINCT toString(organization_id) AS o FROM request_response_rmt", only_org_a),
    (
        "SELECT count() AS n FROM request_response_rmt WHERE organization_id = '<B>'",
        count_is(lambda w: 0),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt WHERE organization_id != '<A>'",
        count_is(lambda w: 0),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt WHERE 1 = 1 OR organization_id = '<B>'",
        count_is(a_requests),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt PREWHERE organization_id = '<B>'",
        count_is(lambda w: 0),
    ),
    (
        "SELECT count() AS n FROM (SELECT * FROM request_response_rmt "
        "WHERE organization_id = '<B>')",
        count_is(lambda w: 0),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt WHERE request_id = '<B1>'",
        count_is(lambda w: 0),
    ),
    (
        "SELECT toString(request_id) AS r FROM request_response_rmt "
        "UNION ALL SELECT toString(request_id) FROM cache_metrics",
        only_a_ids,
    ),
    (
        "SELECT count() AS n FROM request_response_rmt AS a, request_response_rmt AS b",
        count_is(lambda w: w.a.requests**2),
    ),
    (
        "WITH x AS (SELECT * FROM request_response_rmt) SELECT count() AS n FROM x",
        count_is(a_requests),
    ),
    (
        "WITH request_response AS (SELECT organization_id FROM request_response_rmt) "
        "SELECT DISTINCT toString(organization_id) AS o FROM request_response",
        only_org_a,
    ),
    (
        "WITH c AS (SELECT 1 AS x) SELECT count() AS n FROM request_response_rmt "
        "WHERE request_id IN (SELECT request_id FROM request_response_rmt)",
        count_is(a_requests),
    ),
    ("SELECT count() AS n FROM cache_metrics", count_is(lambda w: 1)),
    (
        "SELECT arrayJoin((SELECT groupArray(toString(request_id)) FROM request_response_rmt))"
        " AS r",
        only_a_ids,
    ),
    ("SELECT (SELECT count() FROM request_response_rmt) AS n", count_is(a_requests)),
    ("SELECT toString(organization_id) AS o FROM request_response_rmt AS system", only_org_a),
    ("SELECT toString(t.organization_id) AS o FROM request_response_rmt AS t FINAL", only_org_a),
    (
        "SELECT toString(cache_metrics.organization_id) AS o "
        "FROM request_response_rmt AS cache_metrics "
        "JOIN cache_metrics AS request_response_rmt ON 1 = 1",
        only_org_a,
    ),
    (
        "SELECT count() AS n FROM (SELECT * FROM request_response_rmt) AS rate_limit_log",
        count_is(a_requests),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt ARRAY JOIN [1, 2, 3] AS x",
        count_is(lambda w: 3 * w.a.requests),
    ),
    (
        "SELECT any(user_id) AS u FROM request_response_rmt WHERE user_id LIKE '%SECRET-B%'",
        lambda rows, w: None if rows == [{"u": ""}] else pytest.fail(str(rows)),
    ),
    (
        "SELECT uniqExact(request_id) AS n FROM request_response_rmt WHERE user_id != ''",
        count_is(a_requests),
    ),
    (
        "SELECT count() AS n FROM request_response_rmt WHERE user_id = '' OR '1' = '1'",
        count_is(a_requests),
    ),
    (
        "SELECT properties['team'] AS team FROM request_response_rmt "
        "WHERE request_id = '<A_UPDATED>'",
        lambda rows, w: None if rows == [{"team": "a-team-updated"}] else pytest.fail(str(rows)),
    ),
    ("SELECT 1 AS n -- ; DROP TABLE request_response_rmt", count_is(lambda w: 1)),
    (
        "SELECT 'x\\'; SELECT * FROM system.tables; --' AS s",
        lambda rows, w: (
            None
            if rows == [{"s": "x'; SELECT * FROM system.tables; --"}]
            else pytest.fail(str(rows))
        ),
    ),
    ("SELECT arrayMap(x -> x * 2, [1, 2]) AS doubled", runs),
    ("SELECT * FROM request_response_rmt ORDER BY request_id LIMIT 2 WITH TIES", runs),
    (
        "SELECT hex(toString(organization_id)) AS o FROM request_response_rmt LIMIT 1",
        lambda rows, w: (
            None if rows == [{"o": w.a.id.encode().hex().upper()}] else pytest.fail(str(rows))
        ),
    ),
]


def _sql(template: str, world: World) -> str:
    return (
        template.replace("<A_UPDATED>", world.updated_a)
        .replace("<A>", world.a.id)
        .replace("<B1>", world.b.request_ids[0])
        .replace("<B>", world.b.id)
    )


def test_there_are_at_least_sixty_hostile_queries():
    assert len(CASES) >= 60


@pytest.mark.parametrize(("template", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_hostile_query_is_refused_or_confined(world: World, template: str, expected: Any):
    sql = _sql(template, world)
    if isinstance(expected, Refused):
        error = world.refusal(sql)
        assert error.code in expected.codes, error.message
        assert expected.names in error.message
        assert error.status == 400
        return
    rows = world.run(sql)
    world.assert_no_b_data(rows)
    expected(rows, world)


def test_org_b_sees_its_own_rows_so_the_markers_are_real(world: World):
    rows = world.run(
        "SELECT toString(request_id) AS r, user_id, properties FROM request_response_rmt",
        org=world.b,
    )
    assert {row["r"] for row in rows} == set(world.b.request_ids)
    with pytest.raises(AssertionError):
        world.assert_no_b_data(rows)


def test_a_full_row_read_returns_exactly_a_newest_rows(world: World):
    rows = world.run("SELECT * FROM request_response_rmt", limit=1000)
    world.assert_no_b_data(rows)
    assert sorted(row["request_id"] for row in rows) == sorted(world.a.request_ids)
    updated = next(row for row in rows if row["request_id"] == world.updated_a)
    assert updated["properties"]["team"] == "a-team-updated"


def test_a_huge_cross_join_ends_at_the_time_limit(world: World):
    copies = [f"t{i}" for i in range(9)]  # 11**9 row combinations, each hashed
    sql = (
        "SELECT count() AS n FROM "
        + ", ".join(f"request_response_rmt AS {name}" for name in copies)
        + " WHERE cityHash64("
        + ", ".join(f"{name}.request_id" for name in copies)
        + ") % 1000 = 1"
    )
    error = world.refusal(sql)
    assert error.code == errors.QUERY_TIMEOUT, error.message
    assert error.status == 503


def test_a_cross_join_blown_up_by_array_join_ends_at_a_limit(world: World):
    error = world.refusal(
        "SELECT count() FROM request_response_rmt AS a CROSS JOIN request_response_rmt AS b "
        "ARRAY JOIN range(50000000) AS x"
    )
    assert error.code in (errors.QUERY_TIMEOUT, errors.MEMORY_LIMIT_EXCEEDED), error.message
    assert error.status == 503


def test_memory_hogs_end_at_the_memory_limit(world: World):
    error = world.refusal(
        "SELECT length(arrayStringConcat(arrayMap(x -> toString(x), range(100000000)))) AS n"
    )
    assert error.code == errors.MEMORY_LIMIT_EXCEEDED, error.message
    assert error.status == 503
    # The engine is fine afterwards.
    assert world.run("SELECT count() AS n FROM request_response_rmt") == [{"n": world.a.requests}]


def test_refused_sql_never_reaches_the_engine(world: World):
    error = world.refusal("SELECT * FROM request_response_rmt; DROP TABLE request_response_rmt")
    assert isinstance(error, HqlError)
    assert world.run("SELECT count() AS n FROM request_response_rmt") == [{"n": world.a.requests}]


def ch_string(value: str) -> str:
    """A ClickHouse string literal, escaped as a ClickHouse user would write it."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ch_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


TRICKY = st.sampled_from([*"'\"`\\\n\t ;-/*#{}$:ab0é", "--", "/*", "*/", "\\'", "''"])


@given(
    value=st.lists(TRICKY, max_size=12).map("".join),
    name=st.lists(TRICKY, min_size=1, max_size=6).map("".join),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_quoted_text_reaches_clickhouse_exactly_as_written(world: World, value: str, name: str):
    """Strings and identifiers are re-quoted by the generator: ClickHouse must read them
    back exactly, or quoting could be turned into a way out of the scoped query."""
    sql = f"SELECT {ch_string(value)} AS {ch_identifier(name)} FROM request_response_rmt LIMIT 1"
    assert world.run(sql) == [{name: value}]


HOSTILE_TOKENS = st.sampled_from(
    [
        *("SELECT", "*", "FROM", "request_response_rmt", "cache_metrics", "system.tables"),
        *("rate_limit_log", "heliograph.request_response_rmt", "'", '"', "`", "\\", "--"),
        *("/*", "*/", ";", "UNION ALL", "WITH", "x", "AS", "(", ")", "IN", "SETTINGS", "FORMAT"),
        *(",", "1", "organization_id", "=", "'<B>'", "JOIN", "ON", "numbers(3)", "#", "\n"),
        *("WHERE", "OR", "FINAL", "toString(request_id)", "count()", "LIMIT", "ARRAY JOIN"),
    ]
)


@given(tokens=st.lists(HOSTILE_TOKENS, min_size=1, max_size=16))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_random_hostile_token_soup_never_returns_org_b_data(world: World, tokens: list[str]):
    sql = _sql(" ".join(tokens), world)
    try:
        rows = world.run(sql)
    except HqlError:
        return
    world.assert_no_b_data(rows, typed=sql)

"""The sandbox's rewriting, on its own: scoping, WITH renaming, limits, functions, errors."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from heliograph.hql import errors
from heliograph.hql.errors import HqlError
from heliograph.hql.functions import function_allowed
from heliograph.hql.sandbox import MAX_SQL_CHARS, confine
from heliograph.hql.scoping import verify_confined
from heliograph.hql.tables import ALLOWED_TABLES
from tests.hql.examples import DOC_EXAMPLES

DB = "heliograph"
SCOPE = "WHERE organization_id = {hql_org: UUID}"
# Request rows are read as each request's newest version (store/newest.py).
NEWEST_REQUESTS = (
    f"FROM {DB}.request_response_rmt {SCOPE} AND NOT (request_id IN "
    f"(SELECT request_id FROM {DB}.request_versions {SCOPE}))"
)


def tables_of(sql: str) -> list[exp.Table]:
    return list(sqlglot.parse_one(sql, read="clickhouse").find_all(exp.Table))


@pytest.mark.parametrize("sql", DOC_EXAMPLES)
def test_documented_examples_are_confined_to_the_callers_rows(sql: str):
    confined = confine(sql, 100, DB)
    assert NEWEST_REQUESTS in confined
    assert "FINAL" not in confined
    assert [t.sql() for t in tables_of(confined)] == [
        f"{DB}.request_response_rmt",
        f"{DB}.request_versions",
        f"{DB}.request_versions",
    ]
    assert ") AS request_response_rmt" in confined  # columns keep their table's name


def test_every_reference_to_an_allowed_table_is_scoped():
    confined = confine(
        "SELECT * FROM request_response_rmt AS a JOIN cache_metrics USING (request_id) "
        "WHERE a.request_id IN (SELECT request_id FROM request_response_rmt FINAL) "
        "UNION ALL SELECT * FROM request_response_rmt",
        100,
        DB,
    )
    assert confined.count(NEWEST_REQUESTS) == 3
    assert confined.count(SCOPE) == 3 * 3 + 1  # three per request table reference
    assert f"FROM {DB}.cache_metrics FINAL {SCOPE}) AS cache_metrics" in confined
    assert ") AS a JOIN" in confined


def test_documented_column_names_are_provided():
    confined = confine(
        "SELECT request_model, provider_total_cost, total_tokens FROM request_response_rmt", 10, DB
    )
    for alias, expression in ALLOWED_TABLES["request_response_rmt"].aliases:
        assert f"{expression} AS {alias}" in confined


def test_with_tables_are_renamed_and_scoped_in_order():
    confined = confine(
        "WITH first AS (SELECT * FROM request_response_rmt), "
        "second AS (SELECT * FROM first WHERE status = 200) "
        "SELECT count() FROM second JOIN (SELECT * FROM first) AS f USING (request_id)",
        10,
        DB,
    )
    assert "WITH _hql_cte_0 AS (SELECT * FROM (SELECT *" in confined
    assert "_hql_cte_1 AS (SELECT * FROM _hql_cte_0 AS first WHERE status = 200)" in confined
    assert "FROM _hql_cte_1 AS second JOIN (SELECT * FROM _hql_cte_0 AS first) AS f" in confined
    names = {t.name for t in tables_of(confined)}
    assert names == {"_hql_cte_0", "_hql_cte_1", "request_response_rmt", "request_versions"}


@pytest.mark.parametrize(
    "sql",
    [
        "WITH c AS (SELECT * FROM c) SELECT * FROM c",  # a self-reference reads a real table
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a",  # not yet defined
        "SELECT * FROM (WITH c AS (SELECT 1 AS x) SELECT * FROM c) AS inner_query, c",
        "WITH 1 AS c SELECT * FROM c",  # a WITH value is no table
    ],
)
def test_with_tables_are_only_visible_where_defined(sql: str):
    with pytest.raises(HqlError) as caught:
        confine(sql, 10, DB)
    assert caught.value.code == errors.INVALID_TABLE


def test_a_with_table_is_visible_in_nested_subqueries():
    confined = confine(
        "WITH c AS (SELECT request_id FROM request_response_rmt) "
        "SELECT (SELECT count() FROM c) AS n, * FROM (SELECT * FROM c) AS d",
        10,
        DB,
    )
    assert confined.count("FROM _hql_cte_0 AS c") == 2


@pytest.mark.parametrize(
    ("sql", "limit", "tail"),
    [
        ("SELECT 1", 100, "SELECT 1 LIMIT 100"),
        ("SELECT 1 LIMIT 5", 100, "SELECT 1 LIMIT 5"),
        ("SELECT 1 LIMIT 1000000", 300, "SELECT 1 LIMIT 300"),
        ("SELECT 1 LIMIT 10, 50", 20, "SELECT 1 LIMIT 20 OFFSET 10"),
        ("SELECT 1 LIMIT 50 OFFSET 10", 20, "SELECT 1 LIMIT 20 OFFSET 10"),
        ("SELECT 1 OFFSET 10", 20, "SELECT 1 LIMIT 20 OFFSET 10"),
        # A UNION's LIMIT binds to its last SELECT in ClickHouse: the whole is wrapped.
        (
            "SELECT 1 UNION ALL SELECT 2 LIMIT 1",
            7,
            "SELECT * FROM (SELECT 1 UNION ALL SELECT 2 LIMIT 1) AS hql_result LIMIT 7",
        ),
        (
            "SELECT 1 AS a LIMIT 1 BY a",
            7,
            "SELECT * FROM (SELECT 1 AS a LIMIT 1 BY a) AS hql_result LIMIT 7",
        ),
        (
            "SELECT 1 AS a ORDER BY a LIMIT 3 WITH TIES",
            7,
            "SELECT * FROM (SELECT 1 AS a ORDER BY a LIMIT 3 WITH TIES) AS hql_result LIMIT 7",
        ),
    ],
)
def test_rows_are_capped(sql: str, limit: int, tail: str):
    assert confine(sql, limit, DB) == tail


def test_comments_are_dropped_and_strings_kept():
    confined = confine(
        "SELECT /* a */ 'it''s -- not a comment' AS s, 'back\\\\slash' AS b -- trailing\n", 5, DB
    )
    assert confined == "SELECT 'it''s -- not a comment' AS s, 'back\\\\slash' AS b LIMIT 5"


def test_prewhere_is_folded_into_where():
    confined = confine(
        "SELECT count() FROM request_response_rmt PREWHERE status = 200 WHERE user_id = 'u'",
        5,
        DB,
    )
    assert "PREWHERE" not in confined.replace(SCOPE, "")
    assert "AS request_response_rmt WHERE status = 200 AND user_id = 'u' LIMIT 5" in confined


def test_generated_sql_that_is_not_confined_is_refused():
    with pytest.raises(HqlError) as caught:
        verify_confined(f"SELECT * FROM {DB}.request_response_rmt", DB)
    assert caught.value.code == errors.UNEXPECTED_ERROR
    with pytest.raises(HqlError):
        verify_confined(f"SELECT * FROM {DB}.rate_limit_log FINAL {SCOPE}", DB)
    with pytest.raises(HqlError):
        verify_confined(f"SELECT * FROM other.request_response_rmt FINAL {SCOPE}", DB)
    with pytest.raises(HqlError):
        verify_confined(f"SELECT * FROM {DB}.request_versions", DB)
    with pytest.raises(HqlError):
        verify_confined(f"SELECT * FROM {DB}.request_response_rmt {SCOPE} OR 1 = 1", DB)
    with pytest.raises(HqlError):
        verify_confined(f"SELECT * FROM {DB}.request_response_rmt WHERE 1 = 1 OR {SCOPE[6:]}", DB)
    verify_confined(
        f"SELECT * FROM (SELECT * FROM {DB}.request_response_rmt FINAL {SCOPE}) AS r", DB
    )
    verify_confined(f"SELECT * FROM {DB}.request_response_rmt {SCOPE} AND status = 200", DB)
    verify_confined(confine("SELECT * FROM request_response_rmt", 5, DB), DB)


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("", errors.MISSING_QUERY_SQL),
        ("   \n ", errors.MISSING_QUERY_SQL),
        ("SELECT 1 " + " " * MAX_SQL_CHARS, errors.QUERY_TOO_LARGE),
        ("SELECT FROM WHERE", errors.SYNTAX_ERROR),
        ("SELECT (1", errors.SYNTAX_ERROR),
        ("SELECT 'unterminated", errors.SYNTAX_ERROR),
        ("UPDATE request_response_rmt SET cost = 0", errors.INVALID_STATEMENT),
        ("DELETE FROM request_response_rmt", errors.INVALID_STATEMENT),
        ("GRANT ALL ON *.* TO default", errors.INVALID_STATEMENT),
        (";", errors.INVALID_STATEMENT),
        ("SELECT " + "(" * 5000 + "1" + ")" * 5000, errors.SYNTAX_ERROR),
    ],
)
def test_bad_sql_gets_a_clear_code(sql: str, code: str):
    with pytest.raises(HqlError) as caught:
        confine(sql, 10, DB)
    assert caught.value.code == code
    assert caught.value.status == (413 if code == errors.QUERY_TOO_LARGE else 400)
    assert caught.value.message


@pytest.mark.parametrize(
    "name",
    [
        "count",
        "COUNT",
        "countIf",
        "sum",
        "sumIf",
        "avg",
        "avgIf",
        "uniqExact",
        "uniqExactIf",
        "quantile",
        "quantiles",
        "quantileTDigestIf",
        "argMax",
        "groupArray",
        "anyLast",
        "toDate",
        "toDateTime64",
        "toStartOfHour",
        "dateDiff",
        "DATE_DIFF",
        "formatDateTime",
        "now",
        "today",
        "JSONExtractString",
        "JSONExtractInt",
        "mapKeys",
        "has",
        "arrayJoin",
        "arrayMap",
        "lower",
        "like",
        "match",
        "replaceAll",
        "if",
        "multiIf",
        "coalesce",
        "ifNull",
        "round",
        "ROUND",
        "toString",
        "CAST",
        "row_number",
        "lagInFrame",
        "sumMerge",
        "uniqState",
        "sumArray",
        "sumForEach",
        "avgOrNullIf",
        "toTypeName",
        "formatReadableSize",
        "throwIf",
        "cityHash64",
    ],
)
def test_analytics_functions_are_allowed(name: str):
    assert function_allowed(name)


@pytest.mark.parametrize(
    "name",
    [
        "sleep",
        "sleepEachRow",
        "SLEEP",
        "sleepIf",
        "file",
        "url",
        "s3",
        "remote",
        "input",
        "currentUser",
        "current_user",
        "user",
        "currentDatabase",
        "DATABASE",
        "getSetting",
        "getSettingOrDefault",
        "getServerSetting",
        "hostName",
        "version",
        "uptime",
        "dictGet",
        "dictGetString",
        "dictHas",
        "joinGet",
        "hasColumnInTable",
        "in",
        "notIn",
        "globalIn",
        "nullIn",
        "getMacro",
        "filesystemAvailable",
        "aiGenerate",
        "evalMLMethod",
        "addressToSymbol",
        "generateSerialID",
        "chdb",
        "formatQuery",
        "x" * 200,
    ],
)
def test_dangerous_functions_are_refused(name: str):
    assert not function_allowed(name)


def test_errors_render_as_jawn_s_text_and_apart():
    error = HqlError(errors.INVALID_TABLE, "Table 'x' is not allowed")
    assert error.status == 400
    assert error.wire() == {
        "data": None,
        "error": "[HQL_INVALID_TABLE] Table 'x' is not allowed",
        "hqlError": {"code": "HQL_INVALID_TABLE", "message": "Table 'x' is not allowed"},
    }
    assert HqlError(errors.QUERY_TIMEOUT, "slow").status == 503
    assert HqlError(errors.QUERY_NOT_FOUND, "gone").status == 404
    assert HqlError(errors.RATE_LIMITED, "busy").status == 429

"""HQL through the real server: the documented examples, answers, errors and limits.

Rows are logged by proxying calls to the fake provider; expected results are computed
from the same rows read back through the request API, not from HQL.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from tests.hql.examples import DOC_EXAMPLES
from tests.inprocess import InProcessServer

CALLS = [
    # model, user, session, upstream status
    ("gpt-4o-mini", "u1", "s1", 200),
    ("gpt-4o-mini", "u2", "s1", 200),
    ("gpt-4o", "u1", "s2", 200),
    ("gpt-4o", "u3", "s2", 500),
    ("gpt-4o-mini", "u1", None, 429),
]


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def log_call(
    server: InProcessServer, key: str, model: str, user: str, session: str | None, status: int
) -> str:
    headers = {"Helicone-Auth": f"Bearer {key}", "Helicone-User-Id": user}
    if session:
        headers["Helicone-Session-Id"] = session
    if status != 200:
        headers["x-fake-behaviour"] = f"status={status}"
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers=headers,
        json={"model": model, "messages": [{"role": "user", "content": "hello there"}]},
        timeout=30,
    )
    assert response.status_code == status
    return response.headers["helicone-id"]


def seeded_org(server: InProcessServer, name: str) -> tuple[str, list[dict[str, Any]]]:
    """A new organization with CALLS logged; its key and its rows from the request API."""
    key = server.create_key(f"{name}-{uuid.uuid4().hex[:8]}")
    ids = [log_call(server, key, *call) for call in CALLS]
    rows = [server.wait_for_request(request_id, key=key) for request_id in ids]
    return key, rows


@pytest.fixture(scope="module")
def org(server: InProcessServer) -> tuple[str, list[dict[str, Any]]]:
    return seeded_org(server, "hql-examples")


def hql(server: InProcessServer, key: str, sql: str, **extra: Any) -> httpx.Response:
    with server.api(key) as client:
        return client.post("/v1/helicone-sql/execute", json={"sql": sql, **extra})


def rows_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["error"] is None
    data = body["data"]
    assert set(data) == {"rows", "elapsedMilliseconds", "size", "rowCount"}
    assert data["rowCount"] == len(data["rows"])
    assert data["size"] == len(orjson.dumps(data["rows"]))
    assert isinstance(data["elapsedMilliseconds"], int) and data["elapsedMilliseconds"] >= 0
    rows: list[dict[str, Any]] = data["rows"]
    return rows


def nano(row: dict[str, Any]) -> int:
    return round(row["cost"] * 1_000_000_000)


def test_top_costly_requests(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    rows = rows_of(hql(server, key, DOC_EXAMPLES[0]))
    assert [set(row) for row in rows] == [
        {"request_created_at", "request_model", "response_body", "provider_total_cost"}
    ] * len(logged)
    costs = [row["provider_total_cost"] for row in rows]
    assert costs == sorted(costs, reverse=True)
    assert Counter((r["request_model"], r["provider_total_cost"]) for r in rows) == Counter(
        (r["model"], nano(r)) for r in logged
    )
    assert any(row["provider_total_cost"] > 0 for row in rows)


def test_error_rate(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    errors = sum(1 for row in logged if 400 <= row["response_status"] <= 599)
    assert errors == 2
    assert rows_of(hql(server, key, DOC_EXAMPLES[1])) == [
        {"error_count": errors, "total_requests": len(logged), "error_rate": 0.4}
    ]


def test_active_users_by_day(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    users: dict[str, set[str]] = defaultdict(set)
    for row in logged:
        day = datetime.fromisoformat(row["request_created_at"]).date().isoformat()
        users[day].add(row["request_user_id"])
    expected = [{"day": day, "dau": len(ids)} for day, ids in sorted(users.items())]
    assert rows_of(hql(server, key, DOC_EXAMPLES[2])) == expected


def test_sessions_from_custom_properties(
    server: InProcessServer, org: tuple[str, list[dict[str, Any]]]
):
    key, logged = org
    sessions: dict[str, list[int]] = defaultdict(list)
    for row in logged:
        # A missing map key reads as '' in ClickHouse (not NULL), as in Helicone.
        sessions[row["request_properties"].get("Helicone-Session-Id", "")].append(nano(row))
    rows = rows_of(hql(server, key, DOC_EXAMPLES[3]))
    assert {row["session_id"]: (row["requests"], row["total_cost"]) for row in rows} == {
        session: (len(costs), sum(costs)) for session, costs in sessions.items()
    }
    assert [row["total_cost"] for row in rows] == sorted(
        (row["total_cost"] for row in rows), reverse=True
    )
    assert {"s1", "s2"} <= {row["session_id"] for row in rows}


def test_cost_by_model(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    by_model: dict[str, list[int]] = defaultdict(list)
    for row in logged:
        by_model[row["model"]].append(nano(row))
    rows = rows_of(hql(server, key, DOC_EXAMPLES[4]))
    assert rows == sorted(
        (
            {"request_model": model, "total_cost": sum(costs), "request_count": len(costs)}
            for model, costs in by_model.items()
        ),
        key=lambda row: -row["total_cost"],
    )
    usd = rows_of(hql(server, key, DOC_EXAMPLES[7]))
    assert {row["request_model"]: row["total_cost_usd"] for row in usd} == pytest.approx(
        {model: sum(costs) / 1e9 for model, costs in by_model.items()}
    )


def test_the_rest_api_example(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    rows = rows_of(hql(server, key, DOC_EXAMPLES[5]))
    counts = Counter(row["model"] for row in logged)
    assert rows == [
        {"request_model": model, "count": count}
        for model, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def test_the_download_example(server: InProcessServer, org: tuple[str, list[dict[str, Any]]]):
    key, logged = org
    with server.api(key) as client:
        response = client.post("/v1/helicone-sql/download", json={"sql": DOC_EXAMPLES[6]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(row["request_id"] for row in table) == sorted(r["request_id"] for r in logged)
    assert {"request_model", "provider_total_cost", "properties", "cost"} <= set(table[0])
    assert "organization_id" in table[0]  # readable, and always the caller's own


def test_schema_lists_tables_and_columns_without_the_tenant(server: InProcessServer):
    with server.api() as client:
        body = client.get("/v1/helicone-sql/schema").json()
    assert body["error"] is None
    tables = {table["table_name"]: table["columns"] for table in body["data"]}
    assert set(tables) == {"request_response_rmt", "cache_metrics"}
    fields = {
        "name",
        "type",
        "default_type",
        "default_expression",
        "comment",
        "codec_expression",
        "ttl_expression",
    }
    for columns in tables.values():
        assert all(set(column) == fields for column in columns)
        assert "organization_id" not in {column["name"] for column in columns}
    request_columns = {column["name"]: column for column in tables["request_response_rmt"]}
    documented = {"request_created_at", "status", "user_id", "cost", "prompt_tokens"}
    documented |= {"completion_tokens", "properties", "request_model", "provider_total_cost"}
    assert documented | {"total_tokens"} <= set(request_columns)
    assert request_columns["request_model"]["default_type"] == "ALIAS"
    assert request_columns["cost"]["type"] == "UInt64"


def test_limit_defaults_to_100_and_caps_the_rows(server: InProcessServer):
    sql = "SELECT arrayJoin(range(500)) AS x"
    assert len(rows_of(hql(server, server.api_key, sql))) == 100
    assert len(rows_of(hql(server, server.api_key, sql, limit=300))) == 300
    assert len(rows_of(hql(server, server.api_key, sql + " LIMIT 20", limit=300))) == 20
    assert len(rows_of(hql(server, server.api_key, sql + " LIMIT 450", limit=250))) == 250


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sql": "SELECT * FROM system.tables"}, 400, "HQL_INVALID_TABLE"),
        ({"sql": "SELECT 1; SELECT 2"}, 400, "HQL_INVALID_STATEMENT"),
        ({"sql": "SELECT sleep(1)"}, 400, "HQL_INVALID_FUNCTION"),
        ({"sql": "SELECT 1 SETTINGS readonly = 0"}, 400, "HQL_INVALID_SQL_CONSTRUCT"),
        ({"sql": "SELECT FROM"}, 400, "HQL_SYNTAX_ERROR"),
        ({"sql": "SELECT nope FROM request_response_rmt"}, 400, "HQL_EXECUTION_FAILED"),
        ({"sql": ""}, 400, "HQL_MISSING_QUERY_SQL"),
        ({"query": "SELECT 1"}, 400, "HQL_MISSING_QUERY_SQL"),
        ([], 400, "HQL_MISSING_QUERY_SQL"),
        ({"sql": "SELECT 1", "limit": 0}, 400, "HQL_INVALID_LIMIT"),
        ({"sql": "SELECT 1", "limit": 300_001}, 400, "HQL_INVALID_LIMIT"),
        ({"sql": "SELECT 1", "limit": "10"}, 400, "HQL_INVALID_LIMIT"),
        ({"sql": "SELECT 1", "limit": True}, 400, "HQL_INVALID_LIMIT"),
    ],
)
def test_errors_carry_a_code(server: InProcessServer, body: Any, status: int, code: str):
    with server.api() as client:
        response = client.post("/v1/helicone-sql/execute", json=body)
    assert response.status_code == status
    body = response.json()
    assert body["data"] is None
    error = body["hqlError"]
    assert error["code"] == code and error["message"]
    assert body["error"] == f"[{code}] {error['message']}", "Jawn's formatHqlError"


def test_a_bad_json_body_and_a_missing_key(server: InProcessServer):
    with server.api() as client:
        response = client.post(
            "/v1/helicone-sql/execute",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400
    anonymous = server.request("POST", "/v1/helicone-sql/execute", json={"sql": "SELECT 1"})
    assert anonymous.status_code == 401
    assert anonymous.json()["data"] is None


def test_other_endpoints_keep_string_errors(server: InProcessServer):
    with server.api() as client:
        response = client.get(f"/v1/request/{uuid.uuid4()}")
    assert response.json() == {"data": None, "error": "Request not found"}


HOSTILE_SAMPLE = [
    "SELECT * FROM system.tables",
    "SELECT toString(request_id) AS r FROM request_response_rmt UNION ALL "
    "SELECT name FROM system.tables",
    "SELECT * FROM request_response_rmt SETTINGS SQL_helicone_organization_id = '<B>'",
    "SELECT * FROM heliograph.request_response_rmt",
    "SELECT * FROM clusterAllReplicas('default', heliograph.request_response_rmt)",
    "SELECT * FROM remote('127.0.0.1', heliograph.request_response_rmt)",
    "WITH rate_limit_log AS (SELECT * FROM rate_limit_log) SELECT * FROM rate_limit_log",
    "SELECT count() FROM request_response_rmt WHERE organization_id IN rate_limit_log",
    "SELECT currentDatabase()",
]


def test_a_hostile_sample_never_sees_another_org(server: InProcessServer):
    key_a, rows_a = seeded_org(server, "hql-a")
    key_b, rows_b = seeded_org(server, "hql-b")
    org_b = rows_of(
        hql(
            server,
            key_b,
            "SELECT DISTINCT toString(organization_id) AS o FROM request_response_rmt",
        )
    )[0]["o"]
    secrets = [org_b, *(row["request_id"] for row in rows_b)]
    for sql in HOSTILE_SAMPLE:
        response = hql(server, key_a, sql.replace("<B>", org_b))
        assert response.status_code == 400, (sql, response.text)
        assert response.json()["hqlError"]["code"].startswith("HQL_")
    scoped = [
        f"SELECT count() AS n FROM request_response_rmt WHERE organization_id = '{org_b}'",
        "SELECT count() AS n FROM request_response_rmt AS a, request_response_rmt AS b",
        f"SELECT count() AS n FROM request_response_rmt WHERE request_id = "
        f"'{rows_b[0]['request_id']}' OR 1 = 1",
        "SELECT toString(request_id) AS n FROM request_response_rmt "
        "UNION ALL SELECT toString(request_id) FROM cache_metrics",
    ]
    answers = [rows_of(hql(server, key_a, sql)) for sql in scoped]
    assert answers[0] == [{"n": 0}]
    assert answers[1] == [{"n": len(rows_a) ** 2}]
    assert answers[2] == [{"n": len(rows_a)}]
    assert sorted(row["n"] for row in answers[3]) == sorted(row["request_id"] for row in rows_a)
    text = orjson.dumps(answers).decode()
    assert not [secret for secret in secrets if secret in text]


def test_rate_limits_per_organization(server: InProcessServer):
    key = server.create_key(f"hql-rate-{uuid.uuid4().hex[:8]}")
    with server.api(key) as client:
        downloads = [
            client.post("/v1/helicone-sql/download", json={"sql": "SELECT 1 AS x"})
            for _ in range(11)
        ]
        executes = [
            client.post("/v1/helicone-sql/execute", json={"sql": "SELECT 1 AS x"})
            for _ in range(101)
        ]
    assert [r.status_code for r in downloads] == [200] * 10 + [429]
    assert downloads[-1].json()["hqlError"]["code"] == "HQL_RATE_LIMITED"
    assert [r.status_code for r in executes] == [200] * 100 + [429]
    # Another organization is not affected.
    assert hql(server, server.api_key, "SELECT 1 AS x").status_code == 200

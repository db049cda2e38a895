"""CSV downloads of 100,000 rows, streamed by a real server.

The rows are put into the store before the server starts, with `INSERT ... SELECT FROM
numbers()` run through Heliograph's engine in a subprocess (chDB holds one store per
process), so no test-only endpoint is needed.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess

ROWS = 100_000
OTHER_ROWS = 50

_SEED = """
import asyncio, sys
from pathlib import Path
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.schema import apply_migrations

async def seed():
    engine = ChdbEngine(Path(sys.argv[1]))
    await engine.open()
    await apply_migrations(engine)
    for org, count, model in ((sys.argv[2], int(sys.argv[3]), "bulk-model-"),
                              (sys.argv[4], int(sys.argv[5]), "other-model-")):
        await engine.execute(
            "INSERT INTO request_response_rmt (request_id, organization_id, "
            "request_created_at, updated_at, model, provider, user_id, status, cost, properties) "
            "SELECT generateUUIDv4(number), {org:UUID}, now64(3) - toIntervalSecond(number), "
            "now64(3), concat({model:String}, toString(number % 7)), 'OPENAI', "
            "concat('user-', toString(number % 100)), 200, number, map('i', toString(number)) "
            "FROM numbers({count:UInt32})",
            {"org": org, "model": model, "count": count},
        )
    await engine.close()

asyncio.run(seed())
"""


def organization_id(data_dir: Path, name: str) -> str:
    with sqlite3.connect(data_dir / "metadata.db") as connection:
        row = connection.execute("SELECT id FROM organizations WHERE name = ?", (name,)).fetchone()
    return str(row[0])


@dataclass
class Bulk:
    server: HeliographProcess
    key: str


@pytest.fixture(scope="module")
def bulk(fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bulk]:
    """A server whose store holds ROWS rows of organization "bulk" and a few of "other"."""
    data_dir = tmp_path_factory.mktemp("hql-bulk") / "data"
    server = HeliographProcess(data_dir, fake_provider.url)
    key = server.create_key("bulk")  # the CLI creates the metadata database
    server.create_key("other")
    subprocess.run(
        [
            *(sys.executable, "-c", _SEED, str(data_dir / "clickhouse")),
            *(organization_id(data_dir, "bulk"), str(ROWS)),
            *(organization_id(data_dir, "other"), str(OTHER_ROWS)),
        ],
        check=True,
        timeout=300,
    )
    server.start()
    yield Bulk(server, key)
    server.stop()


def test_100000_rows_are_streamed_as_csv(
    bulk: Bulk,
):
    server, key = bulk.server, bulk.key
    sql = (
        "SELECT toString(request_id) AS request_id, request_model, cost, properties['i'] AS i, "
        "toString(organization_id) AS organization FROM request_response_rmt ORDER BY cost"
    )
    pieces = []
    with (
        server.api(key) as client,
        client.stream("POST", "/v1/helicone-sql/download", json={"sql": sql}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        for piece in response.iter_raw():
            pieces.append(piece)
    body = b"".join(pieces)
    assert len(pieces) > 2 and len(pieces[0]) < len(body) // 10, "sent piece by piece"

    table = list(csv.reader(io.StringIO(body.decode())))
    assert table[0] == ["request_id", "request_model", "cost", "i", "organization"]
    rows = table[1:]
    assert len(rows) == ROWS
    assert [int(row[2]) for row in rows] == list(range(ROWS))
    assert all(row[1] == f"bulk-model-{int(row[2]) % 7}" and row[3] == row[2] for row in rows)
    assert len({row[0] for row in rows}) == ROWS
    assert {row[4] for row in rows} == {organization_id(server.data_dir, "bulk")}


def test_a_download_can_be_limited_and_the_execute_limit_stays(
    bulk: Bulk,
):
    server, key = bulk.server, bulk.key
    with server.api(key) as client:
        limited = client.post(
            "/v1/helicone-sql/download",
            json={"sql": "SELECT cost FROM request_response_rmt ORDER BY cost", "limit": 1000},
        )
        executed = client.post(
            "/v1/helicone-sql/execute",
            json={"sql": "SELECT cost FROM request_response_rmt", "limit": 300_000},
        ).json()["data"]
    assert limited.text.splitlines() == ['"cost"', *(str(n) for n in range(1000))]
    assert executed["rowCount"] == ROWS and len(executed["rows"]) == ROWS


def test_an_abandoned_download_leaves_the_server_working(
    bulk: Bulk,
):
    server, key = bulk.server, bulk.key
    sql = "SELECT request_id, properties FROM request_response_rmt"
    with server.api(key) as client:
        for _ in range(3):
            with client.stream("POST", "/v1/helicone-sql/download", json={"sql": sql}) as response:
                assert response.status_code == 200
                next(response.iter_raw())  # then hang up
        count = client.post(
            "/v1/helicone-sql/execute",
            json={"sql": "SELECT count() AS n FROM request_response_rmt"},
        )
        assert count.json()["data"]["rows"] == [{"n": ROWS}]
        whole = client.post("/v1/helicone-sql/download", json={"sql": sql})
    assert whole.status_code == 200 and len(whole.text.splitlines()) == ROWS + 1
    anonymous = httpx.post(server.url + "/v1/helicone-sql/download", json={"sql": sql})
    assert anonymous.status_code == 401


def test_download_errors_come_before_the_csv(
    bulk: Bulk,
):
    server, key = bulk.server, bulk.key
    cases = [
        ("SELECT * FROM system.tables", 400, "HQL_INVALID_TABLE"),
        ("SELECT nope FROM request_response_rmt", 400, "HQL_EXECUTION_FAILED"),
        ("SELECT cost FROM request_response_rmt WHERE cost < 0", 404, "HQL_NO_DATA_RETURNED"),
        ("", 400, "HQL_MISSING_QUERY_SQL"),
    ]
    with server.api(key) as client:
        for sql, status, code in cases:
            response = client.post("/v1/helicone-sql/download", json={"sql": sql})
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.json()["hqlError"]["code"] == code

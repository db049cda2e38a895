"""The engine's server path, over real HTTP: clickhouse-connect's HTTP client against a
stand-in ClickHouse HTTP interface over chDB (tests/store/chdb_http.py), so that what a
server gets (URL-encoded parameters and settings, inserts, streams, errors) stays tested
without one. `HELIOGRAPH_TEST_CLICKHOUSE_URL` runs the whole store suite on a real server
(or on this stand-in: `python -m tests.store.chdb_http DIR PORT`)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from heliograph.hql.execute import HqlLimits
from heliograph.hql.execute import execute as execute_hql
from heliograph.pipeline.sink import ClickHouseSink
from heliograph.store import schema
from heliograph.store.connect_engine import ClickHouseConnectEngine
from heliograph.store.engine import StoreError, StoreUnavailable
from heliograph.store.log_row import LogRow
from heliograph.store.requests import query_requests
from heliograph.store.schema import apply_migrations
from tests.server import clean_environ

ROOT = Path(__file__).resolve().parents[2]
ORG = str(uuid.uuid4())


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("chdb-http")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store.chdb_http", str(directory), "0"],
        cwd=ROOT,
        env=clean_environ(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().split()[-1])
        yield f"http://default:any@127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _row(request_id: str, minute: int) -> LogRow:
    fields = {
        "request_id": request_id,
        "organization_id": ORG,
        "request_created_at": f"2025-03-01 12:{minute:02d}:00.000",
        "updated_at": f"2025-03-01 12:{minute:02d}:01.000",
        "status": 200,
        "model": "gpt-4o-mini",
        "provider": "OPENAI",
        "user_id": "alice",
        "properties": {"Stage": "tab\there \\ 'quoted'"},
        "unknown_field": 1,
    }
    return LogRow(orjson.dumps(fields) + b"\n", request_id, ORG, False, 0)


def test_the_store_works_through_a_server(server_url: str):
    async def run() -> None:
        engine = ClickHouseConnectEngine(server_url)
        await engine.open()
        try:
            applied = await asyncio.gather(
                apply_migrations(engine, shared=True), apply_migrations(engine, shared=True)
            )
            assert sorted(applied[0] + applied[1]) == sorted(m.name for m in schema.MIGRATIONS)

            value = "a\\b\tc\nd 'e' %(f)s {g} &h=i é"
            rows = await engine.select(
                "SELECT {s:String} AS s, {a:Array(String)} AS a, {m:Map(String, String)} AS m, "
                "{b:Bool} AS b, toUInt64(18446744073709551615) AS big",
                {"s": value, "a": [value], "m": {value: value}, "b": True},
                {"max_execution_time": 5, "readonly": 1},
            )
            assert rows == [
                {"s": value, "a": [value], "m": {value: value}, "b": True, "big": 2**64 - 1}
            ]

            ids = [str(uuid.uuid4()) for _ in range(3)]
            await ClickHouseSink(engine).write([_row(i, n) for n, i in enumerate(ids)])
            found = await query_requests(engine, ORG, "all")
            assert sorted(r["request_id"] for r in found) == sorted(ids)
            assert {r["properties"]["Stage"] for r in found} == {"tab\there \\ 'quoted'"}

            answer = await execute_hql(
                engine, ORG, "SELECT count() AS n FROM request_response_rmt", 100, HqlLimits()
            )
            assert orjson.loads(await answer.read())["data"]["rows"] == [{"n": 3}]

            chunks: list[bytes] = []
            await engine.stream("SELECT number FROM numbers(200000)", None, "CSV", chunks.append)
            assert len(chunks) > 1 and b"".join(chunks).count(b"\n") == 200000

            with pytest.raises(StoreError, match=r"^Code: 47\. DB::Exception: .*nosuch"):
                await engine.select("SELECT nosuch FROM request_response_rmt")
        finally:
            await engine.close()

    asyncio.run(run())


def test_a_server_that_cannot_be_reached_is_unavailable_not_a_bad_query():
    async def run() -> None:
        engine = ClickHouseConnectEngine("http://default:secret@127.0.0.1:9")
        with pytest.raises(StoreUnavailable, match="unavailable") as failed:
            await engine.open()
        assert "secret" not in str(failed.value)
        await engine.close()

    asyncio.run(run())

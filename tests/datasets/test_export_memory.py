"""A 100,000-row dataset exports in bounded memory: the process' resident memory, sampled
as each chunk of the stream goes out, grows by far less than the export's size."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from heliograph.datasets.copies import RowCopy
from heliograph.mock_provider import FakeProvider
from tests.databases import fresh_postgres_database
from tests.datasets.conftest import serve
from tests.datasets.helpers import new_dataset
from tests.inprocess import InProcessServer

ROWS = 100_000
BATCH = 2_000
FILLER = "x" * 600  # about 1 KB a row: the JSONL export is about 100 MB
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def big_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp("datasets-big") / "data"
    with fresh_postgres_database() as url:
        yield from serve(data_dir, fake_provider, {"HELIOGRAPH_DATABASE_URL": url})


def _copy(i: int) -> RowCopy:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"{i} {FILLER}"}]}
    answer = {"role": "assistant", "content": f"answer {i}"}
    response = {"choices": [{"index": 0, "message": answer, "finish_reason": "stop"}]}
    return RowCopy(
        None, "gpt-4o-mini", orjson.dumps(request).decode(), orjson.dumps(response).decode()
    )


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def _stream(app: Any, path: str, key: str) -> dict[str, int]:
    """Serve the export through the ASGI app, keeping only counts and the peak RSS."""
    seen = {"status": 0, "bytes": 0, "lines": 0, "peak": _rss()}
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # no disconnect while the app answers
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            seen["bytes"] += len(chunk)
            seen["lines"] += chunk.count(b"\n")
            seen["peak"] = max(seen["peak"], _rss())

    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {key}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("heliograph.test", 80),
    }
    await app(scope, receive, send)
    return seen


def test_a_100000_row_export_streams_in_bounded_memory(big_server: InProcessServer):
    key = big_server.new_organization("datasets-big")
    dataset_id = new_dataset(big_server, key, [])
    assert big_server.app is not None
    services = big_server.app.services
    principal = services.keys.lookup(key)
    assert principal is not None
    owner, datasets = principal.organization_id, services.datasets
    for start in range(0, ROWS, BATCH):
        datasets.rows.add(owner, dataset_id, [_copy(i) for i in range(start, start + BATCH)])
    assert datasets.rows.count(owner, dataset_id) == ROWS

    path = f"/v1/helicone-dataset/{dataset_id}/export?format=jsonl"
    before = _rss()
    seen = big_server.run(_stream, big_server.app, path, key)
    assert seen["status"] == 200
    assert seen["lines"] == ROWS
    assert seen["bytes"] > 60 * MIB
    grown = seen["peak"] - before
    assert grown < 40 * MIB, f"RSS grew by {grown / MIB:.0f} MiB for {seen['bytes'] / MIB:.0f} MiB"

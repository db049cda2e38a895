"""Deeply nested JSON bodies on the REST API: a 400 in the envelope, never a 500."""

from __future__ import annotations

import pytest

from tests.inprocess import InProcessServer

NESTED_ARRAYS = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _nested_in(field: str) -> bytes:
    return b'{"' + field.encode() + b'": ' + NESTED_ARRAYS + b"}"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/webhooks", NESTED_ARRAYS),
        ("/v1/webhooks", _nested_in("config")),
        ("/v1/alert/create", NESTED_ARRAYS),
        ("/v1/request/query-clickhouse", _nested_in("filter")),
        ("/v1/helicone-sql/execute", _nested_in("sql")),
    ],
)
def test_deeply_nested_json_is_a_400(server: InProcessServer, path: str, body: bytes):
    with server.api() as client:
        answer = client.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["data"] is None
    assert answer.json()["error"]

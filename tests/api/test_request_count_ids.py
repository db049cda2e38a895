"""`/v1/request/count/query` and `/v1/request/query-ids`, Helicone's count and read-by-ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.inprocess import InProcessServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@dataclass
class Seeded:
    server: InProcessServer
    other_key: str
    ids: dict[str, str] = field(default_factory=dict)  # label -> request id (this org)
    other_ids: list[str] = field(default_factory=list)  # another organization's

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        with self.server.api(key) as client:
            return client.post(path, json=body)

    def count(self, body: Any, key: str | None = None) -> Any:
        response = self.post("/v1/request/count/query", body, key)
        assert response.status_code == 200, response.text
        assert response.json()["error"] is None
        return response.json()["data"]


def _send(server: InProcessServer, key: str, **headers: str) -> str:
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id, **headers},
        json=CHAT,
    )
    assert response.status_code == 200
    return request_id


@pytest.fixture(scope="module")
def seeded(app_server: InProcessServer) -> Iterator[Seeded]:
    server = app_server  # this module's own: its organization holds only these rows
    data = Seeded(server, server.create_key("other-org"))
    for label, env in [("a", "production"), ("b", "production"), ("c", "staging")]:
        data.ids[label] = _send(server, server.api_key, **{"Helicone-Property-Environment": env})
    for _ in range(2):
        data.other_ids.append(
            _send(server, data.other_key, **{"Helicone-Property-Environment": "production"})
        )
    for request_id in data.ids.values():
        server.wait_for_request(request_id)
    for request_id in data.other_ids:
        server.wait_for_request(request_id, key=data.other_key)
    # A second version of one row: it must still count once.
    with server.api() as client:
        changed = client.put(
            f"/v1/request/{data.ids['a']}/property", json={"key": "Reviewed", "value": "yes"}
        )
    assert changed.status_code == 200
    yield data


def env(value: str) -> dict[str, Any]:
    return {"request_response_rmt": {"properties": {"Environment": {"equals": value}}}}


def test_count_answers_a_number_in_the_envelope(seeded: Seeded):
    response = seeded.post("/v1/request/count/query", {"filter": "all"})
    assert response.status_code == 200
    assert response.json() == {"data": 3, "error": None}


def test_count_takes_the_query_body_and_helicone_s_empty_filter(seeded: Seeded):
    # Helicone's dashboard sends `{"filter": {}}`; its API client the whole query body.
    assert seeded.count({"filter": {}}) == 3
    body = {"filter": env("production"), "isCached": False, "isScored": False, "limit": 1}
    assert seeded.count(body) == 2  # limit and offset page results; a count ignores them
    assert seeded.count({"filter": env("production"), "offset": 10}) == 2
    assert seeded.count({"filter": env("nowhere")}) == 0
    updated = {"request_response_rmt": {"properties": {"Reviewed": {"equals": "yes"}}}}
    assert seeded.count({"filter": updated}) == 1


def test_count_agrees_with_the_query(seeded: Seeded):
    for body in ({"filter": "all"}, {"filter": env("staging")}):
        rows = seeded.post("/v1/request/query", {**body, "limit": 1000}).json()["data"]
        assert seeded.count(body) == len(rows)


def test_count_flags(seeded: Seeded):
    assert seeded.count({"filter": "all", "isCached": True}) == 0
    assert seeded.count({"filter": "all", "isScored": True}) == 0


def test_count_is_per_organization(seeded: Seeded):
    assert seeded.count({"filter": "all"}, key=seeded.other_key) == 2
    assert seeded.count({"filter": env("staging")}, key=seeded.other_key) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"request_response_rmt": {"no_such_field": {"equals": 1}}}},
        {"filter": "everything"},
        {"filter": "all", "isCached": "maybe"},
        [1, 2],
    ],
)
def test_count_rejects_bad_bodies_with_400(seeded: Seeded, body: Any):
    response = seeded.post("/v1/request/count/query", body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and response.json()["error"]


def test_query_ids_answers_whole_rows_of_the_listed_requests(seeded: Seeded):
    wanted = [seeded.ids["c"], seeded.ids["a"].upper(), str(uuid.uuid4())]
    response = seeded.post("/v1/request/query-ids", {"requestIds": wanted})
    assert response.status_code == 200
    body = response.json()
    assert body["error"] is None
    rows = body["data"]
    assert {row["request_id"] for row in rows} == {seeded.ids["a"], seeded.ids["c"]}
    one = seeded.post("/v1/request/query", {"filter": "all", "limit": 1000}).json()["data"]
    by_id = {row["request_id"]: row for row in one}
    for row in rows:  # the same row as /v1/request/query answers, its newest version
        assert row == by_id[row["request_id"]]
    assert next(r for r in rows if r["request_id"] == seeded.ids["a"])["properties"] == {
        "Environment": "production",
        "Reviewed": "yes",
    }
    created = [row["request_created_at"] for row in rows]
    assert created == sorted(created, reverse=True)


def test_query_ids_lists_each_request_once_and_accepts_an_empty_list(seeded: Seeded):
    twice = seeded.post("/v1/request/query-ids", {"requestIds": [seeded.ids["b"]] * 2})
    assert [row["request_id"] for row in twice.json()["data"]] == [seeded.ids["b"]]
    empty = seeded.post("/v1/request/query-ids", {"requestIds": []})
    assert empty.status_code == 200 and empty.json() == {"data": [], "error": None}


def test_query_ids_never_answers_another_organization_s_requests(seeded: Seeded):
    mine_and_theirs = [seeded.ids["b"], *seeded.other_ids]
    rows = seeded.post("/v1/request/query-ids", {"requestIds": mine_and_theirs}).json()["data"]
    assert [row["request_id"] for row in rows] == [seeded.ids["b"]]
    theirs = seeded.post(
        "/v1/request/query-ids", {"requestIds": mine_and_theirs}, key=seeded.other_key
    ).json()["data"]
    assert {row["request_id"] for row in theirs} == set(seeded.other_ids)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"requestIds": "not-a-list"},
        {"requestIds": ["not-a-uuid"]},
        {"requestIds": [str(uuid.uuid4())] * 1001},
    ],
)
def test_query_ids_rejects_bad_bodies_with_400(seeded: Seeded, body: Any):
    response = seeded.post("/v1/request/query-ids", body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and response.json()["error"]


def test_both_need_a_key(seeded: Seeded):
    with seeded.server.client() as client:
        for path, body in [
            ("/v1/request/count/query", {"filter": "all"}),
            ("/v1/request/query-ids", {"requestIds": []}),
        ]:
            assert client.post(path, json=body).status_code == 401

"""`/v1/session/count` and `/v1/session/name/query`, Helicone's session count and names."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.inprocess import InProcessServer

EVERYTHING = {"startTimeUnixMs": 0, "endTimeUnixMs": 9_999_999_999_999}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@dataclass
class Seeded:
    server: InProcessServer
    other_key: str
    sessions: dict[str, str] = field(default_factory=dict)  # label -> session id

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        with self.server.api(key) as client:
            return client.post(path, json=body)

    def count(self, body: Any, key: str | None = None) -> Any:
        response = self.post("/v1/session/count", body, key)
        assert response.status_code == 200, response.text
        assert response.json()["error"] is None
        return response.json()["data"]

    def names(self, body: Any, key: str | None = None) -> list[dict[str, Any]]:
        response = self.post("/v1/session/name/query", body, key)
        assert response.status_code == 200, response.text
        assert response.json()["error"] is None
        return list(response.json()["data"])


def _send(server: InProcessServer, key: str, headers: dict[str, str]) -> str:
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id, **headers},
        json=CHAT,
    )
    assert response.status_code == 200
    server.wait_for_request(request_id, key=key)
    return request_id


def _session(session_id: str, name: str, path: str = "/") -> dict[str, str]:
    return {
        "Helicone-Session-Id": session_id,
        "Helicone-Session-Name": name,
        "Helicone-Session-Path": path,
    }


@pytest.fixture(scope="module")
def seeded(app_server: InProcessServer) -> Iterator[Seeded]:
    server = app_server  # this module's own: its organization holds only these rows
    data = Seeded(server, server.create_key("other-org"))
    key = server.api_key
    for label, name, calls in [("s1", "support-bot", 2), ("s2", "support-bot", 1)]:
        data.sessions[label] = str(uuid.uuid4())
        for i in range(calls):
            _send(server, key, _session(data.sessions[label], name, f"/step{i}"))
    data.sessions["s3"] = str(uuid.uuid4())
    _send(server, key, _session(data.sessions["s3"], "research"))
    _send(server, key, {"Helicone-Property-Environment": "production"})  # in no session
    other = str(uuid.uuid4())
    _send(server, data.other_key, _session(other, "support-bot"))
    _send(server, data.other_key, _session(str(uuid.uuid4()), "billing"))
    yield data


def test_count_answers_the_number_of_sessions_the_query_lists(seeded: Seeded):
    body: dict[str, Any] = {"search": "", "timeFilter": EVERYTHING, "filter": "all"}
    response = seeded.post("/v1/session/count", {**body, "timezoneDifference": 0})
    assert response.json() == {"data": 3, "error": None}
    listed = seeded.post("/v1/session/query", {**body, "limit": 1}).json()["data"]
    assert len(listed) == 1  # the count is over every page
    assert seeded.count({**body, "nameEquals": "support-bot"}) == 2
    assert seeded.count({**body, "search": seeded.sessions["s3"][:8]}) == 1
    big = {"sessions_request_response_rmt": {"session_total_requests": {"gte": 2}}}
    assert seeded.count({**body, "filter": big}) == 1
    nowhere = {"startTimeUnixMs": 0, "endTimeUnixMs": 1000}
    assert seeded.count({**body, "timeFilter": nowhere}) == 0


def test_count_is_per_organization(seeded: Seeded):
    assert seeded.count({"timeFilter": EVERYTHING}, key=seeded.other_key) == 2
    body = {"timeFilter": EVERYTHING, "search": seeded.sessions["s1"]}
    assert seeded.count(body, key=seeded.other_key) == 0


def test_names_answer_helicone_s_session_name_rows(seeded: Seeded):
    rows = seeded.names({"nameContains": "", "timezoneDifference": 0})
    assert {row["name"]: row["session_count"] for row in rows} == {
        "support-bot": 2,
        "research": 1,
    }
    support = next(row for row in rows if row["name"] == "support-bot")
    assert support == {
        "name": "support-bot",
        "created_at": support["first_used"],
        "first_used": support["first_used"],
        "last_used": support["last_used"],
        "session_count": 2,
        "avg_latency": support["avg_latency"],
        "total_cost": support["total_cost"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", support["first_used"])
    assert isinstance(support["avg_latency"], int | float) and support["total_cost"] > 0
    assert support["last_used"] >= support["first_used"]
    assert rows[0]["last_used"] >= rows[1]["last_used"]  # most recently used first
    sessions = seeded.post(
        "/v1/session/query", {"timeFilter": EVERYTHING, "nameEquals": "support-bot"}
    ).json()["data"]
    assert support["total_cost"] == pytest.approx(sum(s["total_cost"] for s in sessions))


def test_names_narrowed_by_name_time_and_filter(seeded: Seeded):
    assert [row["name"] for row in seeded.names({"nameContains": "SUPPORT"})] == ["support-bot"]
    assert seeded.names({"nameContains": "nothing-like-it"}) == []
    nowhere = {"startTimeUnixMs": 0, "endTimeUnixMs": 1000}
    assert seeded.names({"timeFilter": nowhere}) == []
    assert len(seeded.names({"timeFilter": EVERYTHING})) == 2
    path = {"request_response_rmt": {"properties": {"Helicone-Session-Path": {"equals": "/step1"}}}}
    only = seeded.names({"filter": path})
    assert [(row["name"], row["session_count"]) for row in only] == [("support-bot", 1)]


def test_names_shift_times_by_the_timezone_difference(seeded: Seeded):
    utc = seeded.names({"nameContains": "research"})[0]
    shifted = seeded.names({"nameContains": "research", "timezoneDifference": 60})[0]
    assert shifted["created_at"][:13] != utc["created_at"][:13]
    assert shifted["created_at"][13:] == utc["created_at"][13:]


def test_names_are_per_organization(seeded: Seeded):
    theirs = seeded.names({}, key=seeded.other_key)
    assert {(row["name"], row["session_count"]) for row in theirs} == {
        ("support-bot", 1),
        ("billing", 1),
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/session/count", {}),  # timeFilter is required, as in /v1/session/query
        ("/v1/session/count", {"timeFilter": EVERYTHING, "timezoneDifference": 5000}),
        ("/v1/session/count", {"timeFilter": EVERYTHING, "filter": {"nope": {}}}),
        ("/v1/session/count", {"timeFilter": {"startTimeUnixMs": "soon"}}),
        ("/v1/session/name/query", {"timezoneDifference": -5000}),
        ("/v1/session/name/query", {"nameContains": 5}),
        ("/v1/session/name/query", {"filter": {"request_response_rmt": {"x": {"equals": 1}}}}),
        ("/v1/session/name/query", [1]),
    ],
)
def test_bad_bodies_answer_400(seeded: Seeded, path: str, body: Any):
    response = seeded.post(path, body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and response.json()["error"]

"""Sessions over HTTP: an agent's session tree sent through the proxy, then read back."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from tests.inprocess import InProcessServer

AGENT_PATHS = ("/plan", "/plan/search", "/plan/search/fetch")
EVERYTHING = {"startTimeUnixMs": 0, "endTimeUnixMs": 9_999_999_999_999}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@dataclass
class Sent:
    request_id: str
    path: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class AgentRun:
    """Three sessions of one run, all tagged with the property `Run`."""

    server: InProcessServer
    run: str
    sessions: dict[str, list[Sent]] = field(default_factory=dict)  # session id -> calls

    @property
    def agent(self) -> str:
        return f"agent-{self.run}"

    @property
    def run_filter(self) -> dict[str, Any]:
        return {"request_response_rmt": {"properties": {"Run": {"equals": self.run}}}}

    def rows(self, session_id: str) -> list[dict[str, Any]]:
        """The session's logged rows as /v1/request/query-clickhouse returns them."""
        body = {
            "filter": {
                "request_response_rmt": {
                    "properties": {"Helicone-Session-Id": {"equals": session_id}}
                }
            },
            "limit": 1000,
        }
        with self.server.api() as client:
            response = client.post("/v1/request/query-clickhouse", json=body)
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


def send(
    server: InProcessServer,
    content: str,
    words: int,
    headers: dict[str, str],
    key: str | None = None,
) -> Sent:
    """One chat call through the proxy; the fake provider's token counts are deterministic."""
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={
            "Helicone-Auth": f"Bearer {key or server.api_key}",
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": f"words={words}",
            **headers,
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
    )
    assert response.status_code == 200, response.text
    path = headers.get("Helicone-Session-Path", "")
    return Sent(request_id, path, len(content) // 4 + 1, words)


def session_headers(session_id: str, name: str, path: str | None, run: str) -> dict[str, str]:
    headers = {
        "Helicone-Session-Id": session_id,
        "Helicone-Session-Name": name,
        "Helicone-Property-Run": run,
    }
    if path is not None:
        headers["Helicone-Session-Path"] = path
    return headers


@pytest.fixture(scope="module")
def agent_run(server: InProcessServer) -> AgentRun:
    """30 calls of an agent in a 3-level tree, then two smaller sessions."""
    data = AgentRun(server, uuid.uuid4().hex[:10])
    calls: list[Sent] = []
    for step in range(10):
        for depth, path in enumerate(AGENT_PATHS):
            content = f"step {step} at {path}: " + "x" * (step * 7 + depth)
            headers = session_headers(data.agent, "Research Agent", path, data.run)
            headers["Helicone-User-Id"] = f"owner-{data.run}"
            calls.append(send(server, content, 4 + step + depth, headers))
    data.sessions[data.agent] = calls
    side = f"side-{data.run}"
    data.sessions[side] = [
        send(
            server, f"summarize part {i}", 6, session_headers(side, "Summarizer", "/sum", data.run)
        )
        for i in range(4)
    ]
    tiny = f"tiny-{data.run}"
    data.sessions[tiny] = [
        send(server, f"tiny {i}", 3, session_headers(tiny, "Summarizer", None, data.run))
        for i in range(2)
    ]
    for sent in data.sessions.values():
        for call in sent:
            server.wait_for_request(call.request_id)
    return data


def query(server: InProcessServer, body: dict[str, Any], key: str | None = None) -> Any:
    with server.api(key) as client:
        response = client.post("/v1/session/query", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["error"] is None
    return response.json()["data"]


def session_query(search: str = "", **fields: Any) -> dict[str, Any]:
    body = {"search": search, "timeFilter": EVERYTHING, "timezoneDifference": 0, "filter": "all"}
    return body | fields


def nano(usd: float) -> int:
    return round(usd * 1_000_000_000)


def epoch_s(clickhouse_time: str) -> float:
    return datetime.fromisoformat(clickhouse_time + "+00:00").timestamp()


def test_session_totals_match_the_logged_rows(agent_run: AgentRun):
    [session] = query(agent_run.server, session_query(agent_run.agent))
    sent = agent_run.sessions[agent_run.agent]
    rows = agent_run.rows(agent_run.agent)
    assert len(rows) == 30
    assert sum(nano(row["cost"]) for row in rows) > 0
    assert session == {
        "created_at": min(row["request_created_at"] for row in rows),
        "latest_request_created_at": max(row["request_created_at"] for row in rows),
        "session_id": agent_run.agent,
        "session_name": "Research Agent",
        "total_cost": pytest.approx(sum(row["cost"] for row in rows), rel=1e-12),
        "total_requests": 30,
        "prompt_tokens": sum(call.prompt_tokens for call in sent),
        "completion_tokens": sum(call.completion_tokens for call in sent),
        "total_tokens": sum(call.prompt_tokens + call.completion_tokens for call in sent),
        "avg_latency": pytest.approx(sum(row["delay_ms"] for row in rows) / 30),
        "user_ids": [f"owner-{agent_run.run}"],
    }
    assert nano(session["total_cost"]) == sum(nano(row["cost"]) for row in rows)


def test_search_name_having_and_time_window(agent_run: AgentRun):
    server, run = agent_run.server, agent_run.run
    side, tiny = f"side-{run}", f"tiny-{run}"

    def ids(body: dict[str, Any]) -> list[str]:
        return [s["session_id"] for s in query(server, body)]

    # search: case-insensitive substring of the id or the name
    assert ids(session_query(f"AGENT-{run.upper()}")) == [agent_run.agent]
    assert ids(session_query(run)) == [tiny, side, agent_run.agent]  # newest first
    assert set(ids(session_query("summar", filter=agent_run.run_filter))) == {side, tiny}
    assert ids(session_query(nameEquals="Summarizer", filter=agent_run.run_filter)) == [tiny, side]
    [tiny_row] = query(server, session_query(tiny))
    assert tiny_row["session_name"] == "Summarizer" and tiny_row["user_ids"] == []
    # per-session leaves go to HAVING, per-request ones to WHERE
    bigger = {"sessions_request_response_rmt": {"session_total_requests": {"gte": 5}}}
    both = {"left": agent_run.run_filter, "operator": "and", "right": bigger}
    assert ids(session_query(filter=both)) == [agent_run.agent]
    named = {"sessions_request_response_rmt": {"session_session_name": {"equals": "Summarizer"}}}
    cheap = {"sessions_request_response_rmt": {"session_total_cost": {"lt": 0.000001}}}
    assert ids(session_query(run, filter={"left": named, "operator": "and", "right": cheap})) == []
    assert ids(session_query(run, filter=named)) == [tiny, side]
    # a request filter narrows the rows a session is made of
    fetches = {
        "request_response_rmt": {"properties": {"Helicone-Session-Path": {"contains": "fetch"}}}
    }
    [only_fetches] = query(server, session_query(agent_run.agent, filter=fetches))
    assert only_fetches["total_requests"] == 10
    # the time window is on request times: (start, end) exclusive
    rows = agent_run.rows(agent_run.agent)
    first_ms = round(epoch_s(min(row["request_created_at"] for row in rows)) * 1000)
    before = {"startTimeUnixMs": 0, "endTimeUnixMs": first_ms}
    assert ids(session_query(agent_run.agent, timeFilter=before)) == []
    from_first = {"startTimeUnixMs": first_ms - 1, "endTimeUnixMs": 9_999_999_999_999}
    assert ids(session_query(agent_run.agent, timeFilter=from_first)) == [agent_run.agent]


def test_pagination_and_timezone(agent_run: AgentRun):
    server = agent_run.server
    pages = [
        query(server, session_query(filter=agent_run.run_filter, limit=1, offset=offset))
        for offset in range(4)
    ]
    assert [len(page) for page in pages] == [1, 1, 1, 0]
    everything = query(server, session_query(filter=agent_run.run_filter))
    assert [page[0] for page in pages[:3]] == everything
    created = [s["created_at"] for s in everything]
    assert created == sorted(created, reverse=True)

    [utc] = query(server, session_query(agent_run.agent))
    [shifted] = query(server, session_query(agent_run.agent, timezoneDifference=-90))
    moved = epoch_s(utc["created_at"]) - epoch_s(shifted["created_at"])
    assert moved == pytest.approx(90 * 60)


def quantile(values: list[float], level: float) -> float:
    """ClickHouse's `quantile` on few values: linear interpolation between sorted values."""
    ordered = sorted(values)
    position = level * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def test_session_metrics(agent_run: AgentRun):
    server = agent_run.server
    per_session = {sid: agent_run.rows(sid) for sid in agent_run.sessions}
    counts = [len(rows) for rows in per_session.values()]
    costs = [sum(row["cost"] for row in rows) for rows in per_session.values()]
    durations = [
        math.floor(max(epoch_s(r["request_created_at"]) for r in rows))
        - math.floor(min(epoch_s(r["request_created_at"]) for r in rows))
        for rows in per_session.values()
    ]
    for p_size, level, interquartile in [("p99", 0.99, False), ("p75", 0.75, True)]:
        body = {
            "nameContains": "",
            "timezoneDifference": 0,
            "pSize": p_size,
            "useInterquartile": interquartile,
            "timeFilter": EVERYTHING,
            "filter": agent_run.run_filter,
        }
        with server.api() as client:
            response = client.post("/v1/session/metrics/query", json=body)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        for name, values in [
            ("session_count", counts),
            ("session_cost", costs),
            ("session_duration", durations),
        ]:
            low = quantile(values, 1 - level) if interquartile else -math.inf
            high = quantile(values, level)
            kept = [v for v in values if low <= v <= high]
            bins = data[name]
            assert sum(b["value"] for b in bins) == pytest.approx(len(kept)), name
            assert all(set(b) == {"range_start", "range_end", "value"} for b in bins)
            if kept:
                assert float(bins[0]["range_start"]) == pytest.approx(min(kept))
                assert float(bins[-1]["range_end"]) == pytest.approx(max(kept))
        assert data["average"] == {
            "session_count": [{"average": pytest.approx(sum(counts) / 3)}],
            "session_cost": [{"average": pytest.approx(sum(costs) / 3)}],
            "session_duration": [{"average": pytest.approx(sum(durations) / 3)}],
        }
    body = {"nameContains": "summar", "timezoneDifference": 0, "filter": agent_run.run_filter}
    with server.api() as client:
        named = client.post("/v1/session/metrics/query", json=body).json()["data"]
    assert named["average"]["session_count"] == [{"average": 3}]  # sessions of 4 and 2


def test_session_tree(agent_run: AgentRun):
    with agent_run.server.api() as client:
        response = client.get(f"/v1/session/{agent_run.agent}")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    [summary] = query(agent_run.server, session_query(agent_run.agent))
    assert data["session"] == summary | {"feedback": None}
    assert data["truncated"] is False
    rows = {row["request_id"]: row for row in agent_run.rows(agent_run.agent)}
    sent = agent_run.sessions[agent_run.agent]

    root = data["tree"]
    assert (root["path"], root["requests"], root["total_requests"]) == ("/", [], 30)
    assert root["total_cost"] == pytest.approx(summary["total_cost"])
    [plan] = root["children"]
    [search] = plan["children"]
    [fetch] = search["children"]
    assert fetch["children"] == []
    for node, path, subtree in [(plan, "/plan", 30), (search, "/plan/search", 20)]:
        assert (node["path"], node["total_requests"]) == (path, subtree)
    for node, path in zip((plan, search, fetch), AGENT_PATHS, strict=True):
        assert node["name"] == path.rsplit("/", 1)[1] and node["path"] == path
        expected = [call for call in sent if call.path == path]  # sent in time order
        assert [r["request_id"] for r in node["requests"]] == [c.request_id for c in expected]
        times = [r["created_at"] for r in node["requests"]]
        assert times == sorted(times)
        for entry, call in zip(node["requests"], expected, strict=True):
            row = rows[call.request_id]
            assert entry == {
                "request_id": call.request_id,
                "path": path,
                "created_at": row["request_created_at"],
                "model": "gpt-4o-mini",
                "provider": row["provider"],
                "user_id": f"owner-{agent_run.run}",
                "status": 200,
                "latency": row["delay_ms"],
                "cost": row["cost"],
                "prompt_tokens": call.prompt_tokens,
                "completion_tokens": call.completion_tokens,
                "total_tokens": call.prompt_tokens + call.completion_tokens,
            }
    # requests without a path sit on the root
    with agent_run.server.api() as client:
        tiny = client.get(f"/v1/session/tiny-{agent_run.run}").json()["data"]["tree"]
    assert tiny["children"] == [] and len(tiny["requests"]) == 2


def test_feedback_is_kept_on_the_first_request(server: InProcessServer):
    session_id = f"rated/{uuid.uuid4().hex[:10]}"  # ids may hold slashes
    headers = session_headers(session_id, "Rated", "/step", "rated")
    headers["Helicone-Property-Customer"] = "acme"
    calls = [send(server, f"rate me {i}", 5, headers) for i in range(3)]
    for call in calls:
        server.wait_for_request(call.request_id)
    [before] = query(server, session_query(session_id))

    with server.api() as client:
        assert client.get(f"/v1/session/{session_id}").json()["data"]["session"]["feedback"] is None
        for rating, stored in [(True, "1"), (False, "0")]:
            response = client.post(f"/v1/session/{session_id}/feedback", json={"rating": rating})
            assert response.status_code == 200
            assert response.json() == {"data": None, "error": None}
            detail = client.get(f"/v1/session/{session_id}").json()["data"]
            assert detail["session"]["feedback"] is rating
            first = server.wait_for_request(calls[0].request_id)
            assert first["properties"] == {
                "Helicone-Session-Id": session_id,
                "Helicone-Session-Name": "Rated",
                "Helicone-Session-Path": "/step",
                "Run": "rated",
                "Customer": "acme",
                "Helicone-Session-Feedback": stored,
            }
    for call in calls[1:]:
        assert (
            "Helicone-Session-Feedback"
            not in server.wait_for_request(call.request_id)["properties"]
        )
    # the new row version replaces the old one: nothing is counted twice
    [after] = query(server, session_query(session_id))
    assert after == before
    rated = {"request_response_rmt": {"properties": {"Helicone-Session-Feedback": {"equals": "0"}}}}
    assert [s["session_id"] for s in query(server, session_query(session_id, filter=rated))] == [
        session_id
    ]


def test_unknown_session(server: InProcessServer):
    unknown = f"never-{uuid.uuid4().hex}"
    assert query(server, session_query(unknown)) == []
    with server.api() as client:
        detail = client.get(f"/v1/session/{unknown}")
        rated = client.post(f"/v1/session/{unknown}/feedback", json={"rating": True})
    assert detail.status_code == 404 and detail.json() == {
        "data": None,
        "error": "Session not found",
    }
    assert rated.status_code == 404 and rated.json() == {"data": None, "error": "Session not found"}


def test_another_organization_sees_nothing(agent_run: AgentRun):
    server = agent_run.server
    other = server.create_key(f"session-intruder-{agent_run.run}")
    assert query(server, session_query(agent_run.run), key=other) == []
    assert query(server, session_query(filter=agent_run.run_filter), key=other) == []
    with server.api(other) as client:
        assert client.get(f"/v1/session/{agent_run.agent}").status_code == 404
        rated = client.post(f"/v1/session/{agent_run.agent}/feedback", json={"rating": False})
        assert rated.status_code == 404
        metrics = client.post(
            "/v1/session/metrics/query",
            json={"nameContains": "", "timezoneDifference": 0, "filter": agent_run.run_filter},
        ).json()["data"]
    assert metrics["session_count"] == [] and metrics["average"]["session_count"] == [
        {"average": None}
    ]
    first = agent_run.sessions[agent_run.agent][0].request_id
    assert "Helicone-Session-Feedback" not in server.wait_for_request(first)["properties"]
    # the other organization's own session is its own
    mine = send(
        server, "mine", 2, session_headers(agent_run.agent, "Copycat", "/x", "x"), key=other
    )
    server.wait_for_request(mine.request_id, key=other)
    [theirs] = query(server, session_query(agent_run.agent), key=other)
    assert (theirs["session_name"], theirs["total_requests"]) == ("Copycat", 1)
    [ours] = query(server, session_query(agent_run.agent))
    assert (ours["session_name"], ours["total_requests"]) == ("Research Agent", 30)


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/v1/session/query", {"search": ""}, "timeFilter"),
        ("/v1/session/query", session_query(limit=5000), "limit"),
        ("/v1/session/query", session_query(offset=-1), "offset"),
        ("/v1/session/query", session_query(serch="typo"), "serch"),
        ("/v1/session/query", session_query(timeFilter={"startTimeUnixMs": 0}), "endTimeUnixMs"),
        ("/v1/session/query", session_query(timezoneDifference=5000), "timezone"),
        (
            "/v1/session/query",
            session_query(filter={"sessions_request_response_rmt": {"session_cost": {"gt": 1}}}),
            "session_cost",
        ),
        (
            "/v1/session/query",
            session_query(
                filter={"sessions_request_response_rmt": {"session_total_cost": {"gt": "a"}}}
            ),
            "session_total_cost",
        ),
        ("/v1/session/metrics/query", {"nameContains": "", "pSize": "p42"}, "pSize"),
        ("/v1/session/metrics/query", {"filter": {"nope": {}}}, "nope"),
        ("/v1/session/abc/feedback", {"rating": "yes"}, "rating"),
        ("/v1/session/abc/feedback", {}, "rating"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    server: InProcessServer, path: str, body: dict[str, Any], named: str
):
    with server.api() as client:
        response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None
    assert named in response.json()["error"]


def test_without_a_key_is_401(server: InProcessServer):
    response = server.request("POST", "/v1/session/query", json=session_query())
    assert response.status_code == 401 and response.json()["data"] is None


def test_paths_are_normalized_and_depth_is_bounded(server: InProcessServer):
    session_id = f"paths-{uuid.uuid4().hex[:10]}"
    deep = "/" + "/".join(f"s{i}" for i in range(70))
    paths = ["/a", "a/b/", "//a//b", deep]
    calls = []
    for path in paths:
        calls.append(send(server, "p", 2, session_headers(session_id, "Paths", path, "paths")))
        # Times are kept to the millisecond: calls a few ms apart have an order to check.
        time.sleep(0.005)
    for call in calls:
        server.wait_for_request(call.request_id)
    with server.api() as client:
        tree = client.get(f"/v1/session/{session_id}").json()["data"]["tree"]
    [a, s0] = tree["children"]
    assert (a["path"], [r["request_id"] for r in a["requests"]]) == ("/a", [calls[0].request_id])
    [b] = a["children"]
    assert b["path"] == "/a/b" and [r["path"] for r in b["requests"]] == ["a/b/", "//a//b"]
    node, depth = s0, 1
    while node["children"]:
        [node] = node["children"]
        depth += 1
    assert depth == 64 and node["name"] == "/".join(f"s{i}" for i in range(63, 70))
    assert [r["request_id"] for r in node["requests"]] == [calls[3].request_id]


@pytest.mark.parametrize(
    "leaf",
    [
        {"request_response_rmt": {"request_created_at": {"gt": "0001-01-01T00:00:00Z"}}},
        {"request_response_rmt": {"request_created_at": {"lt": "9999-12-31T23:59:59Z"}}},
        {"request_response_rmt": {"cost": {"gt": 1e300}}},
        {"request_response_rmt": {"latency": {"lt": 10**400}}},
        {"sessions_request_response_rmt": {"session_total_cost": {"gt": -1e300}}},
        {"request_response_rmt": {"properties": {"k\x00'\\": {"equals": "v\t\n'"}}}},
    ],
)
def test_extreme_filter_values_are_answered(server: InProcessServer, leaf: dict[str, Any]):
    assert query(server, session_query(f"none-{uuid.uuid4().hex}", filter=leaf)) == []


def test_non_finite_numbers_are_400(server: InProcessServer):
    leaf = {"request_response_rmt": {"latency": {"gt": "inf"}}}
    with server.api() as client:
        response = client.post("/v1/session/query", json=session_query(filter=leaf))
    assert response.status_code == 400
    assert response.json() == {"data": None, "error": "latency needs a number, not 'inf'"}


def test_a_session_is_tagged_and_the_newest_tag_is_read(server: InProcessServer):
    session_id = f"tagged/{uuid.uuid4().hex[:10]}"  # a path-like id, as sessions may have
    other = server.create_key(server.new_organization("tags-other"))
    with server.api() as client:
        assert client.get(f"/v1/session/{session_id}/tag").json() == {"data": None, "error": None}
        for tag in ("draft", "reviewed"):
            answer = client.post(f"/v1/session/{session_id}/tag", json={"tag": tag})
            assert answer.status_code == 200 and answer.json() == {"data": None, "error": None}
            time.sleep(0.005)  # tags are ordered by their millisecond
        assert client.get(f"/v1/session/{session_id}/tag").json()["data"] == "reviewed"
        for bad in ({}, {"tag": ""}, {"tag": "x" * 257}, {"tag": 5}):
            refused = client.post(f"/v1/session/{session_id}/tag", json=bad)
            assert refused.status_code == 400 and refused.json()["data"] is None
    with server.api(other) as client:  # another organization's tag of the same id is its own
        assert client.get(f"/v1/session/{session_id}/tag").json()["data"] is None
        client.post(f"/v1/session/{session_id}/tag", json={"tag": "theirs"})
    with server.api() as client:
        assert client.get(f"/v1/session/{session_id}/tag").json()["data"] == "reviewed"

"""Users over HTTP: five users with known usage, sent through the proxy, then read back."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@dataclass
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class UserRun:
    server: InProcessServer
    run: str
    usage: dict[str, Usage] = field(default_factory=dict)  # user id -> what was sent
    started: float = 0.0  # unix seconds, just before the first call

    @property
    def users(self) -> list[str]:
        return sorted(self.usage)

    @property
    def mine(self) -> dict[str, Any]:
        """A users_view leaf that keeps only this run's users."""
        return {"users_view": {"user_user_id": {"contains": self.run}}}

    def rows(self, user_id: str) -> list[dict[str, Any]]:
        body = {"filter": {"request_response_rmt": {"user_id": {"equals": user_id}}}, "limit": 1000}
        with self.server.api() as client:
            response = client.post("/v1/request/query-clickhouse", json=body)
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


def send(
    server: InProcessServer,
    content: str,
    words: int,
    header_user: str | None = None,
    body_user: str | None = None,
    key: str | None = None,
) -> str:
    request_id = str(uuid.uuid4())
    headers = {
        "Helicone-Auth": f"Bearer {key or server.api_key}",
        "Helicone-Request-Id": request_id,
        "x-fake-behaviour": f"words={words}",
    }
    if header_user is not None:
        headers["Helicone-User-Id"] = header_user
    body: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": content}],
    }
    if body_user is not None:
        body["user"] = body_user
    response = server.request("POST", "/openai/v1/chat/completions", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return request_id


@pytest.fixture(scope="module")
def user_run(server: InProcessServer) -> UserRun:
    """User i makes i + 1 calls; even users are named by header, odd ones by the body."""
    data = UserRun(server, uuid.uuid4().hex[:10], started=time.time() - 1)
    sent = []
    for i in range(5):
        user = f"user{i}-{data.run}"
        usage = data.usage.setdefault(user, Usage())
        for j in range(i + 1):
            content = f"user {i} call {j} " + "y" * (i * 5 + j)
            words = 3 + i + j
            if i % 2 == 0:
                decoy = f"ignored-{data.run}" if j == i else None  # the header wins
                sent.append(send(server, content, words, header_user=user, body_user=decoy))
            else:
                sent.append(send(server, content, words, body_user=user))
            usage.requests += 1
            usage.prompt_tokens += len(content) // 4 + 1
            usage.completion_tokens += words
    sent.append(send(server, f"nobody {data.run}", 5))  # no user id: belongs to no user
    for request_id in sent:
        server.wait_for_request(request_id)
    return data


def post(server: InProcessServer, path: str, body: Any, key: str | None = None) -> Any:
    with server.api(key) as client:
        response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["error"] is None
    return response.json()["data"]


def nano(usd: float) -> int:
    return round(usd * 1_000_000_000)


def stored_time(clickhouse_time: str) -> datetime:
    return datetime.fromisoformat(clickhouse_time).replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_user_query_counts_tokens_and_cost(user_run: UserRun):
    server = user_run.server
    ids = [*user_run.users, f"ignored-{user_run.run}"]
    found = post(server, "/v1/user/query", {"userIds": ids})
    assert sorted(found, key=lambda u: u["user_id"]) == [
        {
            "count": user_run.usage[user].requests,
            "prompt_tokens": user_run.usage[user].prompt_tokens,
            "completion_tokens": user_run.usage[user].completion_tokens,
            "user_id": user,
            "cost": pytest.approx(sum(row["cost"] for row in user_run.rows(user)), rel=1e-12),
        }
        for user in user_run.users
    ]
    assert all(user["cost"] > 0 for user in found)
    window = {"startTimeUnixSeconds": user_run.started, "endTimeUnixSeconds": time.time() + 60}
    assert post(server, "/v1/user/query", {"userIds": ids, "timeFilter": window}) == found
    past = {"startTimeUnixSeconds": 0, "endTimeUnixSeconds": user_run.started - 60}
    assert post(server, "/v1/user/query", {"userIds": ids, "timeFilter": past}) == []
    everyone = {u["user_id"] for u in post(server, "/v1/user/query", {})}
    assert "" not in everyone


def test_user_metrics_are_exact(user_run: UserRun):
    server = user_run.server
    body = {"filter": user_run.mine, "offset": 0, "limit": 100, "sort": {"total_requests": "desc"}}
    data = post(server, "/v1/user/metrics/query", body)
    assert (data["count"], data["hasUsers"]) == (5, True)
    assert [u["user_id"] for u in data["users"]] == user_run.users[::-1]
    for metrics in data["users"]:
        user = metrics["user_id"]
        usage, rows = user_run.usage[user], user_run.rows(user)
        times = [stored_time(row["request_created_at"]) for row in rows]
        days = len({moment.date() for moment in times})
        assert metrics == {
            "id": user,
            "user_id": user,
            "active_for": days,
            "first_active": iso(min(times)),
            "last_active": iso(max(times)),
            "total_requests": usage.requests,
            "average_requests_per_day_active": pytest.approx(usage.requests / days),
            "average_tokens_per_request": pytest.approx(
                (usage.prompt_tokens + usage.completion_tokens) / usage.requests
            ),
            "total_completion_tokens": usage.completion_tokens,
            "total_prompt_tokens": usage.prompt_tokens,
            "cost": pytest.approx(sum(row["cost"] for row in rows), rel=1e-12),
            "rate_limited_count": 0,
        }
    # timeZoneDifferenceMinutes moves the times as Helicone does (UTC minus the difference)
    shifted = post(server, "/v1/user/metrics/query", body | {"timeZoneDifferenceMinutes": 120})
    for before, after in zip(data["users"], shifted["users"], strict=True):
        moved = datetime.fromisoformat(before["first_active"]) - datetime.fromisoformat(
            after["first_active"]
        )
        assert moved == timedelta(minutes=120)


def test_user_metrics_pages_and_sorts(user_run: UserRun):
    server = user_run.server
    pages = [
        post(
            server,
            "/v1/user/metrics/query",
            {"filter": user_run.mine, "offset": offset, "limit": 2, "sort": {"user_id": "asc"}},
        )
        for offset in (0, 2, 4, 6)
    ]
    assert [page["count"] for page in pages] == [5, 5, 5, 5]
    assert [len(page["users"]) for page in pages] == [2, 2, 1, 0]
    assert [u["user_id"] for page in pages for u in page["users"]] == user_run.users
    by_cost = post(
        server,
        "/v1/user/metrics/query",
        {"filter": user_run.mine, "offset": 0, "limit": 10, "sort": {"cost": "asc"}},
    )["users"]
    costs = [u["cost"] for u in by_cost]
    assert costs == sorted(costs)
    default = post(
        server, "/v1/user/metrics/query", {"filter": user_run.mine, "offset": 0, "limit": 10}
    )
    last = [u["last_active"] for u in default["users"]]
    assert last == sorted(last, reverse=True)  # Helicone's default: most recently active first


def test_user_filters_mix_where_and_having(user_run: UserRun):
    server = user_run.server

    def users(filter_node: Any) -> list[str]:
        body = {"filter": filter_node, "offset": 0, "limit": 100, "sort": {"user_id": "asc"}}
        return [u["user_id"] for u in post(server, "/v1/user/metrics/query", body)["users"]]

    def both(left: Any, right: Any) -> dict[str, Any]:
        return {"left": left, "operator": "and", "right": right}

    busy = {"users_view": {"user_total_requests": {"gte": 3}}}
    assert users(both(user_run.mine, busy)) == user_run.users[2:]
    costs = {u: sum(nano(r["cost"]) for r in user_run.rows(u)) for u in user_run.users}
    threshold = costs[user_run.users[3]] / 1e9
    pricey = {"users_view": {"user_cost": {"gte": threshold}}}
    assert users(both(user_run.mine, pricey)) == [
        u for u in user_run.users if costs[u] >= costs[user_run.users[3]]
    ]
    # a request leaf narrows the rows each user is made of
    gpt = {"request_response_rmt": {"model": {"equals": "gpt-4o-mini"}}}
    assert users(both(user_run.mine, gpt)) == user_run.users
    other_model = {"request_response_rmt": {"model": {"equals": "gpt-4o"}}}
    assert users(both(user_run.mine, other_model)) == []
    window = {"startTimeUnixSeconds": 0, "endTimeUnixSeconds": user_run.started - 60}
    body = {"filter": user_run.mine, "offset": 0, "limit": 10, "timeFilter": window}
    assert post(server, "/v1/user/metrics/query", body)["count"] == 0


def quantile(values: list[float], level: float) -> float:
    ordered = sorted(values)
    position = level * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def test_user_metrics_overview(user_run: UserRun):
    requests = [user_run.usage[u].requests for u in user_run.users]
    costs = [sum(r["cost"] for r in user_run.rows(u)) for u in user_run.users]
    for p_size, level, interquartile in [("p95", 0.95, False), ("p75", 0.75, True)]:
        body = {"useInterquartile": interquartile, "pSize": p_size, "filter": user_run.mine}
        data = post(user_run.server, "/v1/user/metrics-overview/query", body)
        assert set(data) == {"request_count", "user_cost"}
        for name, values in [("request_count", requests), ("user_cost", costs)]:
            low = quantile(values, 1 - level) if interquartile else -math.inf
            kept = [v for v in values if low <= v <= quantile(values, level)]
            assert sum(b["value"] for b in data[name]) == pytest.approx(len(kept)), name
            assert float(data[name][0]["range_start"]) == pytest.approx(min(kept))
            assert float(data[name][-1]["range_end"]) == pytest.approx(max(kept))


def test_another_organization_sees_no_users(user_run: UserRun):
    server = user_run.server
    other = server.create_key(f"user-intruder-{user_run.run}")
    assert post(server, "/v1/user/query", {"userIds": user_run.users}, key=other) == []
    assert post(server, "/v1/user/query", {}, key=other) == []
    metrics = post(
        server, "/v1/user/metrics/query", {"filter": "all", "offset": 0, "limit": 10}, key=other
    )
    assert metrics == {"users": [], "count": 0, "hasUsers": False}
    overview = post(
        server,
        "/v1/user/metrics-overview/query",
        {"useInterquartile": False, "pSize": "p99", "filter": "all"},
        key=other,
    )
    assert overview == {"request_count": [], "user_cost": []}
    # its own user of the same name is its own
    server.wait_for_request(
        send(server, "x", 2, header_user=user_run.users[0], key=other), key=other
    )
    [theirs] = post(server, "/v1/user/query", {"userIds": [user_run.users[0]]}, key=other)
    assert theirs["count"] == 1
    [ours] = post(server, "/v1/user/query", {"userIds": [user_run.users[0]]})
    assert (
        ours["count"] == 1
        and ours["prompt_tokens"] == user_run.usage[user_run.users[0]].prompt_tokens
    )


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/v1/user/query", {"userIds": "alice"}, "userIds"),
        ("/v1/user/query", {"timeFilter": {"startTimeUnixSeconds": 0}}, "endTimeUnixSeconds"),
        ("/v1/user/query", {"userid": ["a"]}, "userid"),
        ("/v1/user/metrics/query", {"filter": "all", "limit": 10}, "offset"),
        ("/v1/user/metrics/query", {"offset": 0, "limit": 10}, "filter"),
        ("/v1/user/metrics/query", {"filter": "all", "offset": 0, "limit": 5000}, "Limit"),
        ("/v1/user/metrics/query", {"filter": "all", "offset": -1, "limit": 5}, "offset"),
        (
            "/v1/user/metrics/query",
            {"filter": "all", "offset": 0, "limit": 5, "sort": {"height": "asc"}},
            "height",
        ),
        (
            "/v1/user/metrics/query",
            {"filter": "all", "offset": 0, "limit": 5, "sort": {"cost": "up"}},
            "up",
        ),
        (
            "/v1/user/metrics/query",
            {"filter": {"users_view": {"user_height": {"gt": 1}}}, "offset": 0, "limit": 5},
            "user_height",
        ),
        (
            "/v1/user/metrics/query",
            {"filter": {"users_view": {"user_cost": {"contains": "x"}}}, "offset": 0, "limit": 5},
            "user_cost",
        ),
        (
            "/v1/user/metrics/query",
            {"filter": "all", "offset": 0, "limit": 5, "timeZoneDifferenceMinutes": 9999},
            "timeZoneDifferenceMinutes",
        ),
        ("/v1/user/metrics-overview/query", {"pSize": "p42", "filter": "all"}, "pSize"),
        ("/v1/user/metrics-overview/query", {"filter": {"bogus": {"x": {}}}}, "bogus"),
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

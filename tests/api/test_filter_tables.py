"""Helicone's other filter tables and legacy fields, through POST /v1/request/query (in-process).

Two organizations log requests of the same user names and properties; every filter here runs
as organization A and must select A's matching rows only, never B's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.inprocess import InProcessServer


@dataclass
class Logged:
    server: InProcessServer
    key: str
    organization_id: str
    key_id: str
    ids: dict[str, str] = field(default_factory=dict)  # label -> request id

    def query(self, filter_node: Any) -> httpx.Response:
        with self.server.api(self.key) as client:
            return client.post("/v1/request/query", json={"filter": filter_node, "limit": 100})

    def found(self, filter_node: Any) -> set[str]:
        response = self.query(filter_node)
        assert response.status_code == 200, response.text
        return {self.label(row["request_id"]) for row in response.json()["data"]}

    def label(self, request_id: str) -> str:
        labels = {v: k for k, v in self.ids.items()}
        return labels.get(request_id, f"unknown:{request_id}")

    def refused(self, filter_node: Any) -> str:
        response = self.query(filter_node)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["data"] is None
        return str(body["error"])


def _call(logged: Logged, label: str, headers: dict[str, str], content: str = "hi") -> None:
    request_id = str(uuid.uuid4())
    response = logged.server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={
            "Helicone-Auth": f"Bearer {logged.key}",
            "Helicone-Request-Id": request_id,
            **headers,
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
    )
    assert response.status_code in (200, 429), response.text
    logged.ids[label] = request_id


def _log(server: InProcessServer, prefix: str, alice_calls: int) -> Logged:
    key = server.new_organization(prefix)
    assert server.app is not None
    principal = server.app.services.keys.lookup(key)
    assert principal is not None
    logged = Logged(server, key, principal.organization_id, principal.key_id)
    for n in range(alice_calls):
        env = {"Helicone-Property-Environment": "production"} if n == 0 else {}
        _call(logged, f"alice{n}", {"Helicone-User-Id": "alice", **env})
    _call(logged, "bob", {"Helicone-User-Id": "bob", "Helicone-Property-Tier": "free"})
    cached = {"Helicone-Cache-Enabled": "true"}
    _call(logged, "original", cached, content=f"cache me {uuid.uuid4()}")
    content = server.wait_for_request(logged.ids["original"], key)["request_body"]
    _call(logged, "hit", cached, content=content["messages"][0]["content"])
    policy = {"Helicone-RateLimit-Policy": "1;w=60;s=user", "Helicone-User-Id": "limited"}
    _call(logged, "admitted", policy)
    _call(logged, "limited", policy)
    for request_id in logged.ids.values():
        server.wait_for_request(request_id, key)
    with server.api(key) as client:
        scored = client.post(f"/v1/request/{logged.ids['bob']}/score", json={"scores": {"q": 3}})
        assert scored.is_success, scored.text
        rated = client.post(f"/v1/request/{logged.ids['alice0']}/feedback", json={"rating": True})
        assert rated.is_success, rated.text
    return logged


@pytest.fixture(scope="module")
def orgs(app_server: InProcessServer) -> Iterator[tuple[Logged, Logged]]:
    # B's alice has more requests than A's: a total read across organizations would show.
    yield _log(app_server, "tables-a", alice_calls=3), _log(app_server, "tables-b", alice_calls=6)


@pytest.fixture(scope="module")
def a(orgs: tuple[Logged, Logged]) -> Logged:
    return orgs[0]


ALL = {"alice0", "alice1", "alice2", "bob", "original", "hit", "admitted", "limited"}


def test_request_and_organization_ids_take_text_operators(a: Logged, orgs: tuple[Logged, Logged]):
    bob = a.ids["bob"]
    rmt = "request_response_rmt"
    assert a.found({rmt: {"request_id": {"equals": bob}}}) == {"bob"}
    assert a.found({rmt: {"request_id": {"contains": bob[9:23].upper()}}}) == {"bob"}
    assert a.found({rmt: {"request_id": {"like": bob[:20] + "%"}}}) == {"bob"}
    assert a.found({rmt: {"request_id": {"ilike": bob[:20].upper() + "%"}}}) == {"bob"}
    assert a.found({rmt: {"request_id": {"not-equals": bob}}}) == ALL - {"bob"}
    assert a.found({rmt: {"request_id": {"not-contains": bob[9:23]}}}) == ALL - {"bob"}
    assert a.found({"request": {"id": {"like": bob[:8] + "%"}}}) == {"bob"}
    own, other = a.organization_id, orgs[1].organization_id
    assert a.found({rmt: {"organization_id": {"equals": own}}}) == ALL
    assert a.found({rmt: {"organization_id": {"contains": own[:8]}}}) == ALL
    assert a.found({rmt: {"organization_id": {"equals": other}}}) == set()
    assert a.found({rmt: {"organization_id": {"like": other[:8] + "%"}}}) == set()
    assert a.found({"request": {"org_id": {"equals": own}}}) == ALL


def test_legacy_request_and_response_fields(a: Logged):
    row = a.server.wait_for_request(a.ids["bob"], a.key)
    completion = row["response_body"]["choices"][0]["message"]["content"]
    assert a.found({"response": {"body_completion": {"equals": completion}}}) >= {"bob"}
    assert a.found({"response": {"body_completion": {"equals": completion + "!"}}}) == set()
    assert a.found({"response": {"body_completion": {"contains": "no such words"}}}) == set()
    assert a.found({"request": {"modelOverride": {"equals": "gpt-4o-mini"}}}) == ALL
    assert a.found({"request": {"modelOverride": {"equals": "gpt-4o"}}}) == set()
    assert a.found({"request": {"auth_hash": {"equals": a.key_id}}}) == ALL
    assert a.found({"request": {"auth_hash": {"not-equals": a.key_id}}}) == set()
    assert a.found({"request_response_log": {"auth_hash": {"equals": a.key_id}}}) == ALL


def test_legacy_feedback_fields(a: Logged):
    assert a.found({"feedback": {"id": {"not-equals": "null"}}}) == {"alice0"}
    assert a.found({"feedback": {"id": {"equals": "null"}}}) == ALL - {"alice0"}
    alice0 = a.ids["alice0"]
    assert a.found({"feedback": {"response_id": {"equals": alice0}}}) == {"alice0"}
    assert a.found({"feedback": {"response_id": {"equals": a.ids["bob"]}}}) == set()
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert a.found({"feedback": {"created_at": {"gte": hour_ago}}}) == {"alice0"}
    assert a.found({"feedback": {"created_at": {"lt": hour_ago}}}) == set()
    assert "feedback.id" in a.refused({"feedback": {"id": {"gte": 3}}})


def test_user_metrics_are_the_users_totals_in_the_organization(a: Logged):
    alice = {"alice0", "alice1", "alice2"}
    assert a.found({"user_metrics": {"total_requests": {"gte": 3}}}) == alice
    # B's alice has six requests: counted across organizations, A's alice would match.
    assert a.found({"user_metrics": {"total_requests": {"gte": 4}}}) == set()
    assert a.found({"user_metrics": {"total_requests": {"lt": 3}}}) == {"bob", "admitted"} | {
        "limited"
    }
    assert a.found({"user_metrics": {"user_id": {"equals": "bob"}}}) == {"bob"}
    assert a.found({"user_metrics": {"active_for": {"equals": 1}, "cost": {"gte": 0}}}) == (
        ALL - {"original", "hit"}
    )
    assert a.found({"user_metrics": {"total_prompt_tokens": {"gt": 10**9}}}) == set()
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert a.found({"user_metrics": {"last_active": {"gte": hour_ago}}}) == ALL - {
        "original",
        "hit",
    }


def test_cache_metrics_are_cache_hits(a: Logged):
    assert a.found({"cache_metrics": {"cache_hit_count": {"gte": 1}}}) == {"hit"}
    assert a.found({"cache_metrics": {"cache_hit_count": {"gte": 2}}}) == set()
    assert a.found({"cache_metrics": {"request_id": {"equals": a.ids["original"]}}}) == {"hit"}
    assert a.found({"cache_metrics": {"request_id": {"equals": a.ids["bob"]}}}) == set()
    assert a.found({"cache_metrics": {"model": {"equals": "gpt-4o-mini"}}}) == {"hit"}
    hour = datetime.now(UTC)
    hours = {hour.hour, (hour - timedelta(minutes=5)).hour}
    found = a.found({"cache_metrics": {"hour": {"gte": min(hours)}, "date": {"gte": "2020-01-01"}}})
    assert found == {"hit"}
    assert a.found({"cache_metrics": {"saved_prompt_tokens": {"gt": 0}}}) == {"hit"}
    assert a.found({"cache_metrics": {"date": {"lt": "2020-01-01"}}}) == set()


def test_rate_limit_log_is_the_refused_requests(a: Logged):
    assert a.found({"rate_limit_log": {"created_at": {"gte": "2020-01-01"}}}) == {"limited"}
    assert a.found({"rate_limit_log": {"created_at": {"lt": "2020-01-01"}}}) == set()
    own = a.organization_id
    assert a.found({"rate_limit_log": {"organization_id": {"equals": own}}}) == {"limited"}


def test_score_value_is_the_scored_requests(a: Logged):
    # The rating is a score too (helicone-score-feedback), as Helicone stores it.
    assert a.found({"score_value": {"request_id": {"not-equals": "null"}}}) == {"bob", "alice0"}
    assert a.found({"score_value": {"request_id": {"equals": a.ids["bob"]}}}) == {"bob"}
    assert a.found({"score_value": {"request_id": {"equals": a.ids["hit"]}}}) == set()


def test_property_tables_match_one_property(a: Logged):
    env = {"key": {"equals": "Environment"}, "value": {"equals": "production"}}
    assert a.found({"properties_table": env}) == {"alice0"}
    assert a.found({"properties_v3": env}) == {"alice0"}
    # Key and value must hold of the same property.
    crossed = {"key": {"equals": "Tier"}, "value": {"equals": "production"}}
    assert a.found({"properties_v3": crossed}) == set()
    assert a.found({"properties_v3": {"value": {"contains": "FRE"}}}) == {"bob"}
    # Cached calls carry Helicone-Cache-Enabled as a property, as Helicone records it.
    with_properties = {"alice0", "bob", "original", "hit"}
    own = a.organization_id
    assert a.found({"properties_v3": {"organization_id": {"equals": own}}}) == with_properties
    assert a.found({"organization_properties": {"property_key": {"equals": "Tier"}}}) == {"bob"}
    assert a.found({"properties_table": {"auth_hash": {"equals": a.key_id}}}) == with_properties
    with_response = {"property_key": {"equals": "Tier"}, "property_value": {"equals": "free"}}
    assert a.found({"property_with_response_v1": with_response}) == {"bob"}
    assert a.found({"property_with_response_v1": {"property_value": {"equals": "paid"}}}) == set()


def test_rmt_search_properties_scores_column_and_assets(a: Logged):
    rmt = "request_response_rmt"
    assert a.found({rmt: {"search_properties": {"Tier": {"equals": "free"}}}}) == {"bob"}
    assert a.found({rmt: {"scores_column": {"equals": "q"}}}) == {"bob"}
    assert a.found({rmt: {"scores_column": {"not-equals": "q"}}}) == ALL - {"bob"}
    assert a.found({rmt: {"assets": {"contains": "no-asset"}}}) == set()


def test_the_other_organization_sees_its_own_rows_only(orgs: tuple[Logged, Logged]):
    a, b = orgs
    b_alice = {f"alice{n}" for n in range(6)}
    assert b.found({"user_metrics": {"total_requests": {"gte": 4}}}) == b_alice
    assert b.found({"cache_metrics": {"cache_hit_count": {"gte": 1}}}) == {"hit"}
    assert b.found({"rate_limit_log": {"created_at": {"gte": "2020-01-01"}}}) == {"limited"}
    assert b.found({"properties_v3": {"key": {"equals": "Tier"}}}) == {"bob"}
    assert b.found({"request_response_rmt": {"request_id": {"equals": a.ids["bob"]}}}) == set()


def test_bad_fields_and_too_many_totals_are_refused(a: Logged):
    assert "user_metrics.nope" in a.refused({"user_metrics": {"nope": {"equals": 1}}})
    assert "cache_metrics.hour" in a.refused({"cache_metrics": {"hour": {"contains": "1"}}})
    leaf = {"user_metrics": {"total_requests": {"gte": 1}}}
    node: Any = leaf
    for _ in range(8):
        node = {"left": node, "operator": "or", "right": leaf}
    assert "more than 8 conditions on totals" in a.refused(node)


def test_the_tables_filter_the_other_endpoints_too(a: Logged):
    power_users = {"user_metrics": {"total_requests": {"gte": 3}}}
    window = {
        "start": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "end": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    }
    with a.server.api(a.key) as client:
        count = client.post("/v1/request/count/query", json={"filter": power_users})
        overview = client.post(
            "/v1/metrics/overview",
            json={"filter": power_users, "timeFilter": window, "metrics": ["request_count"]},
        )
        users = client.post(
            "/v1/user/metrics/query",
            json={"filter": power_users, "offset": 0, "limit": 10},
        )
        evals = client.post(
            "/v1/evals/query",
            json={
                "filter": {"score_value": {"request_id": {"equals": a.ids["bob"]}}},
                "timeFilter": window,
            },
        )
    assert count.json() == {"data": 3, "error": None}
    assert overview.status_code == 200, overview.text
    assert overview.json()["data"]["request_count"] == 3
    assert users.status_code == 200, users.text
    assert [u["user_id"] for u in users.json()["data"]["users"]] == ["alice"]
    assert evals.status_code == 200, evals.text
    # Every score name is listed; only bob's counts.
    counts = {e["name"]: e["count"] for e in evals.json()["data"]}
    assert counts == {"q": 1, "helicone-score-feedback": 0}

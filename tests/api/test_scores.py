"""Feedback and scores on logged requests, through the real server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.server import HeliographProcess

FEEDBACK = "helicone-score-feedback"
OK = {"data": None, "error": None}


def logged_call(server: HeliographProcess, key: str | None = None, **headers: str) -> str:
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={
            "Helicone-Auth": f"Bearer {key or server.api_key}",
            "Helicone-Request-Id": request_id,
            **headers,
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200, response.text
    server.wait_for_request(request_id, key=key)
    return request_id


def post(server: HeliographProcess, path: str, body: Any, key: str | None = None) -> httpx.Response:
    with server.api(key) as client:
        return client.post(path, json=body)


def feedback(
    server: HeliographProcess, request_id: str, rating: Any, key: str | None = None
) -> httpx.Response:
    return post(server, f"/v1/request/{request_id}/feedback", {"rating": rating}, key)


def score(
    server: HeliographProcess, request_id: str, scores: Any, key: str | None = None
) -> httpx.Response:
    return post(server, f"/v1/request/{request_id}/score", {"scores": scores}, key)


def stored(server: HeliographProcess, request_id: str, key: str | None = None) -> dict[str, Any]:
    with server.api(key) as client:
        response = client.get(f"/v1/request/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def found(server: HeliographProcess, filter_node: Any, key: str, **extra: Any) -> set[str]:
    response = post(server, "/v1/request/query-clickhouse", {"filter": filter_node, **extra}, key)
    assert response.status_code == 200, response.text
    return {row["request_id"] for row in response.json()["data"]}


def test_feedback_true_then_false_then_true_again(server: HeliographProcess):
    request_id = logged_call(server)
    assert stored(server, request_id)["feedback_rating"] is None

    for rating in (True, False, True):
        response = feedback(server, request_id, rating)
        assert response.status_code == 200 and response.json() == OK
        row = stored(server, request_id)
        assert row["scores"] == {FEEDBACK: int(rating)}
        assert row["feedback_rating"] is rating


def test_feedback_property_and_score_on_one_request_all_stay_visible(server: HeliographProcess):
    request_id = logged_call(server, **{"Helicone-Property-App": "web"})
    assert feedback(server, request_id, True).json() == OK
    with server.api() as client:
        put = client.put(
            f"/v1/request/{request_id}/property", json={"key": "Environment", "value": "prod"}
        )
    assert put.json() == OK
    assert score(server, request_id, {"accuracy": 92, "hallucination": False}).json() == OK

    expected_scores = {FEEDBACK: 1, "accuracy": 92, "hallucination": 0}
    expected_properties = {"App": "web", "Environment": "prod"}
    row = stored(server, request_id)
    assert row["scores"] == expected_scores and row["feedback_rating"] is True
    assert row["properties"] == expected_properties

    response = post(
        server,
        "/v1/request/query-clickhouse",
        {"filter": {"request_response_rmt": {"request_id": {"equals": request_id}}}},
    )
    [listed] = response.json()["data"]
    assert listed["scores"] == expected_scores and listed["feedback_rating"] is True
    assert listed["properties"] == expected_properties

    # A later score call updates its own key and keeps every other one.
    assert score(server, request_id, {"accuracy": 95}).json() == OK
    row = stored(server, request_id)
    assert row["scores"] == {**expected_scores, "accuracy": 95}
    assert row["properties"] == expected_properties


def test_score_values_are_stored_as_integers(server: HeliographProcess):
    request_id = logged_call(server)
    sent = {"passed": True, "failed": False, "whole": 3.0, "negative": -7, "max": 2**63 - 1}
    assert score(server, request_id, sent).json() == OK
    assert stored(server, request_id)["scores"] == {
        "passed": 1,
        "failed": 0,
        "whole": 3,
        "negative": -7,
        "max": 2**63 - 1,
    }


def test_scores_and_feedback_are_filterable(server: HeliographProcess):
    key = server.create_key(f"filters-{uuid.uuid4()}")
    ids = {label: logged_call(server, key) for label in ("good", "bad", "unscored", "middling")}
    assert score(server, ids["good"], {"accuracy": 90}, key).json() == OK
    assert feedback(server, ids["good"], True, key).json() == OK
    assert score(server, ids["bad"], {"accuracy": 70}, key).json() == OK
    assert feedback(server, ids["bad"], False, key).json() == OK
    assert score(server, ids["middling"], {"accuracy": 80}, key).json() == OK

    def labels(*names: str) -> set[str]:
        return {ids[name] for name in names}

    def rmt(fields: dict[str, Any]) -> dict[str, Any]:
        return {"request_response_rmt": fields}

    accuracy_gte_80 = rmt({"scores": {"accuracy": {"gte": 80}}})
    assert found(server, accuracy_gte_80, key) == labels("good", "middling")
    assert found(server, rmt({"scores": {"accuracy": {"lt": 80}}}), key) == labels("bad")
    positive = rmt({FEEDBACK: {"equals": True}})
    assert found(server, positive, key) == labels("good")
    # An unrated request is not negative feedback.
    assert found(server, rmt({FEEDBACK: {"equals": False}}), key) == labels("bad")
    assert found(server, {"feedback": {"rating": {"equals": False}}}, key) == labels("bad")
    both = {"left": positive, "operator": "and", "right": accuracy_gte_80}
    assert found(server, both, key) == labels("good")
    assert found(server, "all", key, isScored=True) == labels("good", "bad", "middling")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "rating"),
        ({"rating": "yes"}, "rating"),
        ({"rating": 1}, "rating"),
        ({"rating": None}, "rating"),
        ([True], "Body"),
        (None, "Body"),
    ],
)
def test_bad_feedback_bodies_are_400(server: HeliographProcess, body: Any, named: str):
    request_id = logged_call(server)
    response = post(server, f"/v1/request/{request_id}/feedback", body)
    assert response.status_code == 400
    assert response.json()["data"] is None and named in response.json()["error"]
    assert stored(server, request_id)["scores"] == {}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "scores is required"),
        ({"scores": [1, 2]}, "scores must be an object"),
        ({"scores": "92"}, "scores must be an object"),
        ({"scores": {}}, "at least one"),
        ({"scores": {"accuracy": "high"}}, "scores.accuracy must be a number or a boolean"),
        ({"scores": {"accuracy": None}}, "scores.accuracy"),
        ({"scores": {"accuracy": {"value": 1}}}, "scores.accuracy"),
        ({"scores": {"similarity": 0.87}}, "scores.similarity must be an integer"),
        ({"scores": {"huge": 1e30}}, "scores.huge is outside the 64-bit integer range"),
        ({"scores": {"ok": 1, "": 2}}, "non-empty"),
    ],
)
def test_bad_score_bodies_are_400_naming_the_field(
    server: HeliographProcess, body: Any, named: str
):
    request_id = logged_call(server)
    response = post(server, f"/v1/request/{request_id}/score", body)
    assert response.status_code == 400
    assert response.json()["data"] is None and named in response.json()["error"]
    assert stored(server, request_id)["scores"] == {}, "a refused body writes nothing"


def test_malformed_unknown_and_foreign_request_ids(server: HeliographProcess):
    for path in ("feedback", "score"):
        body = {"rating": True} if path == "feedback" else {"scores": {"a": 1}}
        malformed = post(server, f"/v1/request/req_123abc/{path}", body)
        assert malformed.status_code == 400
        assert malformed.json() == {
            "data": None,
            "error": "Invalid requestId: must be a valid UUID",
        }
        unknown = post(server, f"/v1/request/{uuid.uuid4()}/{path}", body)
        assert unknown.status_code == 404 and "Request not found" in unknown.json()["error"]

    request_id = logged_call(server)
    assert score(server, request_id, {"accuracy": 50}).json() == OK
    intruder = server.create_key(f"intruder-{uuid.uuid4()}")
    assert feedback(server, request_id, False, key=intruder).status_code == 404
    response = score(server, request_id, {"accuracy": 0, "hacked": 1}, key=intruder)
    assert response.status_code == 404 and "Request not found" in response.json()["error"]
    assert stored(server, request_id)["scores"] == {"accuracy": 50}, "owner's row unchanged"


def test_concurrent_feedback_property_and_score_updates_lose_nothing(server: HeliographProcess):
    request_id = logged_call(server, **{"Helicone-Property-Original": "kept"})

    async def burst() -> list[int]:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=60
        ) as client:
            calls = [
                client.post(f"/v1/request/{request_id}/score", json={"scores": {f"s{i}": i}})
                for i in range(15)
            ]
            calls += [
                client.put(
                    f"/v1/request/{request_id}/property", json={"key": f"p{i}", "value": f"v{i}"}
                )
                for i in range(15)
            ]
            calls.append(client.post(f"/v1/request/{request_id}/feedback", json={"rating": True}))
            responses = await asyncio.gather(*calls)
        return [r.status_code for r in responses]

    assert asyncio.run(burst()) == [200] * 31
    row = stored(server, request_id)
    assert row["scores"] == {FEEDBACK: 1} | {f"s{i}": i for i in range(15)}
    assert row["properties"] == {"Original": "kept"} | {f"p{i}": f"v{i}" for i in range(15)}


def test_feedback_right_after_the_call_waits_for_the_pending_row(start_server):
    # A long batch interval: the row is still in the log pipeline when feedback arrives.
    server = start_server(env={"HELIOGRAPH_LOG_BATCH_MS": "1500"})
    request_id = str(uuid.uuid4())
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200
    assert feedback(server, request_id, True).json() == OK
    assert stored(server, request_id)["scores"] == {FEEDBACK: 1}

"""Feedback and scores on logged requests, through the real server."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from typing import Any

import httpx
import orjson
import pytest
import requests

from tests.inprocess import AnyServer, InProcessServer

FEEDBACK = "helicone-score-feedback"
OK = {"data": None, "error": None}


@pytest.fixture
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def logged_call(server: AnyServer, key: str | None = None, **headers: str) -> str:
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
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


def post(server: AnyServer, path: str, body: Any, key: str | None = None) -> httpx.Response:
    with server.api(key) as client:
        return client.post(path, json=body)


def feedback(
    server: AnyServer, request_id: str, rating: Any, key: str | None = None
) -> httpx.Response:
    return post(server, f"/v1/request/{request_id}/feedback", {"rating": rating}, key)


def score(
    server: AnyServer, request_id: str, scores: Any, key: str | None = None
) -> httpx.Response:
    return post(server, f"/v1/request/{request_id}/score", {"scores": scores}, key)


def stored(server: AnyServer, request_id: str, key: str | None = None) -> dict[str, Any]:
    with server.api(key) as client:
        response = client.get(f"/v1/request/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def found(server: AnyServer, filter_node: Any, key: str, **extra: Any) -> set[str]:
    response = post(server, "/v1/request/query-clickhouse", {"filter": filter_node, **extra}, key)
    assert response.status_code == 200, response.text
    return {row["request_id"] for row in response.json()["data"]}


def test_feedback_true_then_false_then_true_again(server: InProcessServer):
    request_id = logged_call(server)
    assert stored(server, request_id)["feedback_rating"] is None

    for rating in (True, False, True):
        response = feedback(server, request_id, rating)
        assert response.status_code == 200 and response.json() == OK
        row = stored(server, request_id)
        assert row["scores"] == {FEEDBACK: int(rating)}
        assert row["feedback_rating"] is rating


def test_feedback_property_and_score_on_one_request_all_stay_visible(server: InProcessServer):
    request_id = logged_call(server, **{"Helicone-Property-App": "web"})
    assert feedback(server, request_id, True).json() == OK
    with server.api() as client:
        put = client.put(
            f"/v1/request/{request_id}/property", json={"key": "Environment", "value": "prod"}
        )
    assert put.json() == OK
    scored = score(server, request_id, {"accuracy": 92, "hallucination": False})
    assert (scored.status_code, scored.json()) == (201, OK), "Jawn's AddScores answers 201"

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


def test_score_values_are_stored_as_integers(server: InProcessServer):
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


def test_scores_and_feedback_are_filterable(server: InProcessServer):
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
def test_bad_feedback_bodies_are_400(server: InProcessServer, body: Any, named: str):
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
        ({"scores": {"huge": 1e30}}, "scores.huge is outside the 64-bit integer range"),
        ({"scores": {FEEDBACK: 0.5}}, f"{FEEDBACK} is the feedback rating"),
        ({"scores": {"ok": 1, "": 2}}, "non-empty"),
    ],
)
def test_bad_score_bodies_are_400_naming_the_field(server: InProcessServer, body: Any, named: str):
    request_id = logged_call(server)
    response = post(server, f"/v1/request/{request_id}/score", body)
    assert response.status_code == 400
    assert response.json()["data"] is None and named in response.json()["error"]
    assert stored(server, request_id)["scores"] == {}, "a refused body writes nothing"


def test_malformed_unknown_and_foreign_request_ids(server: InProcessServer):
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


def mixed(i: int) -> int | float:
    """Integers and fractions alike: the two live in different maps of the row."""
    return i if i % 2 else i + 0.25


def test_concurrent_feedback_property_and_score_updates_lose_nothing(server: InProcessServer):
    request_id = logged_call(server, **{"Helicone-Property-Original": "kept"})

    async def burst() -> list[int]:
        async with server.async_client({"Authorization": f"Bearer {server.api_key}"}) as client:
            calls = [
                client.post(f"/v1/request/{request_id}/score", json={"scores": {f"s{i}": mixed(i)}})
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

    # Jawn answers a score write 201, a property or feedback write 200.
    assert server.run(burst) == [201] * 15 + [200] * 16
    row = stored(server, request_id)
    assert row["scores"] == {FEEDBACK: 1} | {f"s{i}": mixed(i) for i in range(15)}
    assert row["properties"] == {"Original": "kept"} | {f"p{i}": f"v{i}" for i in range(15)}


def test_feedback_right_after_the_call_waits_for_the_pending_row(start_server):
    # A long batch interval: the row is still in the log pipeline when feedback arrives.
    server = start_server(env={"HELIOGRAPH_LOG_BATCH_MS": "1500"})
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200
    assert feedback(server, request_id, True).json() == OK
    assert stored(server, request_id)["scores"] == {FEEDBACK: 1}


def hql_rows(server: AnyServer, sql: str, key: str) -> list[dict[str, Any]]:
    response = post(server, "/v1/helicone-sql/execute", {"sql": sql}, key)
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["rows"])


# The cookbook's Ragas output (answer_correctness, semantic_similarity per request).
RAGAS_COLUMNS = ["answer_correctness", "semantic_similarity"]
RAGAS_RESULTS = [(1.0, 0.9999989484399617), (1.0, 0.9999999999999998)]


def test_ragas_cookbook_score_requests_script(live_server: InProcessServer):
    """Helicone's cookbook `score_requests.py` (guides/cookbooks/helicone-evals-with-ragas):
    its `post_scores` as written, base URL and key changed; csv stands in for pandas."""
    server = live_server  # the script sends with `requests`: a real socket
    key = server.create_key(f"ragas-{uuid.uuid4()}")
    ids = [logged_call(server, key) for _ in RAGAS_RESULTS]
    evaluation_results_csv = io.StringIO()
    writer = csv.writer(evaluation_results_csv)
    writer.writerow(["requestId", "user_input", "response", "reference", *RAGAS_COLUMNS])
    for request_id, (correctness, similarity) in zip(ids, RAGAS_RESULTS, strict=True):
        writer.writerow([request_id, "[]", "{}", "{}", repr(correctness), repr(similarity)])
    evaluation_results_csv.seek(0)

    API_KEY = key  # the cookbook's names
    BASE_URL = server.url + "/v1/request/{request_id}/score"
    answers: list[requests.Response] = []

    def post_scores(request_id: str, scores: dict[str, float]) -> None:
        """POST the given scores dict to Helicone for a single request."""
        url = BASE_URL.format(request_id=request_id)
        payload = {"scores": scores}
        headers = {"authorization": API_KEY, "Content-Type": "application/json"}
        resp = requests.post(url, json=payload, headers=headers, timeout=30)
        answers.append(resp)

    rows = list(csv.DictReader(evaluation_results_csv))
    skip = {"requestId", "user_input", "response", "reference"}
    score_cols = [c for c in rows[0] if c not in skip]
    for row in rows:
        scores = {col: float(row[col]) for col in score_cols}
        post_scores(row["requestId"], scores)

    assert [(r.ok, r.json()) for r in answers] == [(True, OK)] * len(RAGAS_RESULTS)
    for request_id, (correctness, similarity) in zip(ids, RAGAS_RESULTS, strict=True):
        with server.api(key) as client:
            text = client.get(f"/v1/request/{request_id}").text
        row_scores = orjson.loads(text)["data"]["scores"]
        assert row_scores == {"answer_correctness": correctness, "semantic_similarity": similarity}
        assert isinstance(row_scores["semantic_similarity"], float)
        assert f'"semantic_similarity":{similarity!r}' in text, "exact, as a JSON float"

    listed = post(server, "/v1/request/query-clickhouse", {"filter": "all"}, key).json()["data"]
    assert {row["request_id"]: row["scores"]["semantic_similarity"] for row in listed} == {
        request_id: similarity
        for request_id, (_, similarity) in zip(ids, RAGAS_RESULTS, strict=True)
    }


def test_fractional_scores_round_trip_exactly(server: InProcessServer):
    request_id = logged_call(server)
    sent = {
        "third": 1 / 3,
        "tenth": 0.1,
        "negative": -0.25,
        "tiny": 5e-324,
        "large": 2**51 + 0.5,  # the largest magnitude holding a half
        "almost_one": 0.9999999999999998,
    }
    assert score(server, request_id, sent).json() == OK
    with server.api() as client:
        text = client.get(f"/v1/request/{request_id}").text
    got = orjson.loads(text)["data"]["scores"]
    assert got == sent
    assert all(isinstance(value, float) for value in got.values())
    assert all(f'"{name}":{value!r}' in text for name, value in sent.items())


def test_fractional_then_integer_then_fractional_newest_write_wins(server: InProcessServer):
    key = server.create_key(f"newest-{uuid.uuid4()}")
    request_id = logged_call(server, key)
    stored_maps = (
        f"SELECT scores, score_values FROM request_response_rmt WHERE request_id = '{request_id}'"
    )
    for value in (0.87, 92, 0.5):
        assert score(server, request_id, {"similarity": value, "other": 7}, key).json() == OK
        assert stored(server, request_id, key)["scores"] == {"similarity": value, "other": 7}
        # The name lives in exactly one of the two maps: Helicone's Int64 one or the Float64 one.
        [maps] = hql_rows(server, stored_maps, key)
        if isinstance(value, int):
            assert maps == {"scores": {"similarity": value, "other": 7}, "score_values": {}}
        else:
            assert maps == {"scores": {"other": 7}, "score_values": {"similarity": value}}
    # The union docs/scores.md gives for HQL.
    union = "mapUpdate(CAST(scores, 'Map(LowCardinality(String), Float64)'), score_values)"
    sql = (
        f"SELECT {union} AS all_scores FROM request_response_rmt WHERE request_id = '{request_id}'"
    )
    assert hql_rows(server, sql, key) == [{"all_scores": {"similarity": 0.5, "other": 7}}]

    with server.api(key) as client:
        assert client.get("/v1/evals/scores").json()["data"] == ["other", "similarity"]
    time_filter = {"start": "2020-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    body = {"filter": "all", "timeFilter": time_filter}
    [histogram] = [
        h
        for h in post(server, "/v1/evals/score-distributions/query", body, key).json()["data"]
        if h["name"] == "similarity"
    ]
    assert histogram["distribution"] == [{"lower": 0.5, "upper": 0.5, "value": 1}]


def test_hql_schema_lists_the_fractional_score_column(server: InProcessServer):
    with server.api() as client:
        tables = client.get("/v1/helicone-sql/schema").json()["data"]
    [rmt] = [table["columns"] for table in tables if table["table_name"] == "request_response_rmt"]
    types = {column["name"]: column["type"] for column in rmt}
    assert types["scores"] == "Map(LowCardinality(String), Int64)", "Helicone's, unchanged"
    assert types["score_values"] == "Map(LowCardinality(String), Float64)"


def test_fractional_scores_are_filterable_by_their_value(server: InProcessServer):
    key = server.create_key(f"fraction-filters-{uuid.uuid4()}")
    values: dict[str, int | float] = {"high": 0.95, "exact": 0.87, "low": 0.5, "integer": 1}
    ids = {label: logged_call(server, key) for label in [*values, "unscored"]}
    for label, value in values.items():
        assert score(server, ids[label], {"similarity": value}, key).json() == OK

    def matching(ops: dict[str, Any]) -> set[str]:
        return found(server, {"request_response_rmt": {"scores": {"similarity": ops}}}, key)

    def expected(test: Any) -> set[str]:
        return {ids[label] for label, value in values.items() if test(value)}

    assert matching({"gte": 0.87}) == expected(lambda v: v >= 0.87)
    assert matching({"gte": 0.87}) == {ids["high"], ids["exact"], ids["integer"]}
    assert matching({"lt": 0.87}) == expected(lambda v: v < 0.87) == {ids["low"]}
    assert matching({"equals": 0.87}) == {ids["exact"]}
    assert matching({"not-equals": 0.87}) == expected(lambda v: v != 0.87)
    assert matching({"gt": 0.5, "lte": 0.95}) == {ids["high"], ids["exact"]}
    assert found(server, "all", key, isScored=True) == expected(lambda v: True)


def test_feedback_property_and_fractional_score_on_one_request_all_visible(
    server: InProcessServer,
):
    key = server.create_key(f"mixed-{uuid.uuid4()}")
    request_id = logged_call(server, key, **{"Helicone-Property-App": "web"})
    assert feedback(server, request_id, True, key).json() == OK
    with server.api(key) as client:
        put = client.put(
            f"/v1/request/{request_id}/property", json={"key": "Environment", "value": "prod"}
        )
    assert put.json() == OK
    assert score(server, request_id, {"similarity": 0.87, "accuracy": 92}, key).json() == OK

    expected_scores = {FEEDBACK: 1, "similarity": 0.87, "accuracy": 92}
    expected_properties = {"App": "web", "Environment": "prod"}
    row = stored(server, request_id, key)
    assert row["scores"] == expected_scores and row["feedback_rating"] is True
    assert row["properties"] == expected_properties

    positive = {"request_response_rmt": {FEEDBACK: {"equals": True}}}
    similar = {"request_response_rmt": {"scores": {"similarity": {"gte": 0.8}}}}
    web = {"request_response_rmt": {"properties": {"App": {"equals": "web"}}}}
    every = {
        "left": positive,
        "operator": "and",
        "right": {"left": similar, "operator": "and", "right": web},
    }
    response = post(server, "/v1/request/query-clickhouse", {"filter": every}, key)
    [listed] = response.json()["data"]
    assert listed["request_id"] == request_id
    assert listed["scores"] == expected_scores and listed["feedback_rating"] is True
    assert listed["properties"] == expected_properties

    # Feedback changes afterwards; the fractional score stays.
    assert feedback(server, request_id, False, key).json() == OK
    row = stored(server, request_id, key)
    assert row["scores"] == {**expected_scores, FEEDBACK: 0} and row["feedback_rating"] is False


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_scores_are_400_naming_the_score(server: InProcessServer, literal: str):
    request_id = logged_call(server)
    with server.api() as client:
        response = client.post(
            f"/v1/request/{request_id}/score",
            content=f'{{"scores": {{"fine": 0.5, "ragas": {literal}}}}}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json() == {"data": None, "error": "scores.ragas must be a finite number"}
    assert stored(server, request_id)["scores"] == {}, "a refused body writes nothing"

"""The evals endpoints as Helicone documents them (docs.helicone.ai/rest/evals/*): every
request shape the pages show, sent as written (base URL and key changed) to the in-process
server, every answer checked against the page's response schema and against numbers
computed here; scores from every source reach the views; each endpoint sees only the
caller's organization. Scores from every source: tests/api/test_evals_sources.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pytest

from tests.api.test_evals import created_at, data, equal_width_bins, expected_eval, window
from tests.api.test_scores import OK, feedback, logged_call, post, score
from tests.inprocess import InProcessServer

# The pages' response schemas, transcribed (OpenAPI's `type: number, enum: [null]` as null).
_NULL = {"const": None}


def _result(data_schema: dict[str, Any]) -> dict[str, Any]:
    """Helicone's Result<T, string>: `{data: T, error: null}` or `{data: null, error: str}`."""
    success = {
        "type": "object",
        "properties": {"data": data_schema, "error": _NULL},
        "required": ["data", "error"],
        "additionalProperties": False,
    }
    failure = {
        "type": "object",
        "properties": {"data": _NULL, "error": {"type": "string"}},
        "required": ["data", "error"],
        "additionalProperties": False,
    }
    return {"anyOf": [success, failure]}


def _points(field: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {field: {"type": "number"}, "date": {"type": "string"}},
            "required": [field, "date"],
        },
    }


EVAL = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        **{f: {"type": "number"} for f in ("averageScore", "minScore", "maxScore", "count")},
        "overTime": _points("count"),
        "averageOverTime": _points("value"),
    },
    "required": [
        "name",
        "averageScore",
        "minScore",
        "maxScore",
        "count",
        "overTime",
        "averageOverTime",
    ],
    "additionalProperties": False,
}
BIN = {
    "type": "object",
    "properties": {k: {"type": "number"} for k in ("value", "upper", "lower")},
    "required": ["value", "upper", "lower"],
}
SCORE_DISTRIBUTION = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "distribution": {"type": "array", "items": BIN}},
    "required": ["name", "distribution"],
    "additionalProperties": False,
}
SCHEMAS = {
    "GetEvalScores": _result({"type": "array", "items": {"type": "string"}}),
    "AddEval": _result(_NULL),
    "QueryEvals": _result({"type": "array", "items": EVAL}),
    "QueryScoreDistributions": _result({"type": "array", "items": SCORE_DISTRIBUTION}),
}


def documented(operation: str, response: httpx.Response) -> Any:
    """The answer's data, after checking it against the page's schema for `operation`."""
    jsonschema.validate(response.json(), SCHEMAS[operation])
    return data(response)


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def new_org(server: InProcessServer) -> str:
    return server.new_organization("evals-doc")


def organization_of(server: InProcessServer, key: str) -> str:
    assert server.app is not None
    principal = server.run(server.app.services.keys.resolve, key)
    return str(principal.organization_id)


def test_each_documented_request_as_written(server: InProcessServer):
    key = new_org(server)
    production = {"Helicone-Property-Environment": "production"}
    first, second = logged_call(server, key, **production), logged_call(server, key)

    # POST /v1/evals/{requestId} {"score": number (double), "name": string}
    for request_id, value in ((first, 0.92), (second, 0.5)):
        answer = post(server, f"/v1/evals/{request_id}", {"score": value, "name": "accuracy"}, key)
        assert answer.status_code == 201, answer.text  # a write, answered as Jawn's addEval
        jsonschema.validate(answer.json(), SCHEMAS["AddEval"])
        assert answer.json() == {"data": None, "error": None}
    # GET /v1/evals/scores
    with server.api(key) as client:
        assert documented("GetEvalScores", client.get("/v1/evals/scores")) == ["accuracy"]

    # EvalQueryParams with every documented field: a branch of leaves, offset, limit, and
    # timeZoneDifference as the browser's getTimezoneOffset() (a double).
    time_filter = window()
    branch = {
        "left": {"request_response_rmt": {"model": {"equals": "gpt-4o-mini"}}},
        "operator": "or",
        "right": {"request_response_rmt": {"properties": {"Environment": {"equals": "x"}}}},
    }
    params = {
        "filter": branch,
        "timeFilter": time_filter,
        "offset": 0,
        "limit": 10,
        "timeZoneDifference": 0.0,
    }
    at = {rid: created_at(server, rid, key) for rid in (first, second)}
    evals = documented("QueryEvals", post(server, "/v1/evals/query", params, key))
    values = [(at[first], 0.92), (at[second], 0.5)]
    assert evals == [expected_eval("accuracy", values, time_filter)]
    histograms = post(server, "/v1/evals/score-distributions/query", params, key)
    assert documented("QueryScoreDistributions", histograms) == [
        {"name": "accuracy", "distribution": equal_width_bins([0.92, 0.5])}
    ]

    # The dashboard's own call: only filter and timeFilter, as toISOString() writes them.
    iso_ms = {
        "start": (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="milliseconds"),
        "end": (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="milliseconds"),
    }
    iso_ms = {k: v.replace("+00:00", "Z") for k, v in iso_ms.items()}
    in_production = {"properties": {"Environment": {"equals": "production"}}}
    body = {"filter": {"request_response_rmt": in_production}, "timeFilter": iso_ms}
    [summary] = documented("QueryEvals", post(server, "/v1/evals/query", body, key))
    assert (summary["count"], summary["averageScore"]) == (1, 0.92)
    [histogram] = data(post(server, "/v1/evals/score-distributions/query", body, key))
    assert histogram["distribution"] == [{"lower": 0.92, "upper": 0.92, "value": 1}]


def test_errors_are_documented_results(server: InProcessServer):
    """Every refusal is Helicone's ResultError: `{"data": null, "error": "<message>"}`."""
    key = new_org(server)
    request_id = logged_call(server, key)
    refusals = [
        post(server, f"/v1/evals/{request_id}", {"score": "high", "name": "x"}, key),
        post(server, "/v1/evals/query", {"filter": "all"}, key),
        post(server, "/v1/evals/score-distributions/query", {"timeFilter": window()}, key),
        post(server, "/v1/evals/query", {"filter": "some", "timeFilter": window()}, key),
    ]
    with server.api(key) as client:
        json_type = {"Content-Type": "application/json"}
        refusals.append(client.post("/v1/evals/query", content=b"{", headers=json_type))
        refusals.append(client.post("/v1/evals/score-distributions/query"))
    for answer in refusals:
        assert answer.status_code == 400, answer.text
        jsonschema.validate(answer.json(), SCHEMAS["AddEval"])  # data null, error a string
        assert answer.json()["error"]
    unauthenticated = server.request("GET", "/v1/evals/scores")
    assert unauthenticated.status_code == 401
    jsonschema.validate(unauthenticated.json(), SCHEMAS["GetEvalScores"])


# One condition per field of the pages' Partial_RequestResponseRMTToOperators, each one the
# logged call below matches (`gpt-4o-mini` to the fake provider, property App=web, asset-free).
DOCUMENTED_LEAVES: dict[str, Any] = {
    "country_code": {"equals": "null"},  # no country header sent
    "latency": {"gte": 0},
    "cost": {"gte": 0},
    "provider": {"not-equals": "nobody"},
    "time_to_first_token": {"equals": "null"},  # not streamed
    "status": {"equals": 200},
    "request_created_at": {"gte": "2024-01-01T00:00:00.000Z"},
    "response_created_at": {"gte": "2024-01-01T00:00:00.000Z"},
    "model": {"equals": "gpt-4o-mini"},
    "user_id": {"not-equals": "nobody"},
    "organization_id": {"not-equals": str(uuid.UUID(int=0))},
    "node_id": {"not-equals": "node"},
    "job_id": {"not-equals": "job"},
    "threat": {"equals": "null"},  # never assessed
    "request_id": {"not-equals": str(uuid.UUID(int=1))},
    "prompt_tokens": {"gte": 0},
    "completion_tokens": {"gte": 0},
    "prompt_cache_read_tokens": {"gte": 0},
    "prompt_cache_write_tokens": {"gte": 0},
    "total_tokens": {"gt": 0},
    "target_url": {"contains": "chat/completions"},
    "property_key": {"equals": "app"},
    "properties": {"App": {"equals": "web"}},
    "search_properties": {"App": {"contains": "we"}},
    "scores": {"accuracy": {"equals": 3}},
    "scores_column": {"equals": "accuracy"},
    "request_body": {"contains": "gpt-4o-mini"},
    "response_body": {"contains": "choices"},
    "cache_enabled": {"equals": False},
    "cache_reference_id": {"equals": str(uuid.UUID(int=0))},
    "cached": {"equals": False},
    "assets": {"not-contains": "asset"},
    "helicone-score-feedback": {"equals": True},
    "prompt_id": {"not-equals": "nothing"},
    "prompt_version": {"not-equals": "nothing"},
    "request_referrer": {"not-equals": "nothing"},
    "is_passthrough_billing": {"equals": False},
}
# The same fields with a condition the call does not meet.
MISSED_LEAVES: dict[str, Any] = {
    "node_id": {"equals": "node"},
    "property_key": {"equals": "Environment"},
    "search_properties": {"App": {"equals": "mobile"}},
    "scores_column": {"contains": "relevance"},
    "assets": {"equals": "asset-1"},
    "model": {"equals": "gpt-4o"},
}


def test_every_documented_filter_field(server: InProcessServer):
    key = new_org(server)
    request_id = logged_call(server, key, **{"Helicone-Property-App": "web"})
    assert score(server, request_id, {"accuracy": 3}, key).json() == OK
    assert feedback(server, request_id, True, key).json() == OK
    time_filter = window()
    for name, condition in DOCUMENTED_LEAVES.items():
        body = {"filter": {"request_response_rmt": {name: condition}}, "timeFilter": time_filter}
        evals = data(post(server, "/v1/evals/query", body, key))
        assert [e["count"] for e in evals] == [1, 1], (name, evals)
        histograms = data(post(server, "/v1/evals/score-distributions/query", body, key))
        assert len(histograms) == 2, (name, histograms)
    for name, condition in MISSED_LEAVES.items():
        body = {"filter": {"request_response_rmt": {name: condition}}, "timeFilter": time_filter}
        assert [e["count"] for e in data(post(server, "/v1/evals/query", body, key))] == [0, 0]
        assert data(post(server, "/v1/evals/score-distributions/query", body, key)) == []
    contains_key = {"request_response_rmt": {"property_key": {"contains": "a"}}}
    body = {"filter": contains_key, "timeFilter": time_filter}
    refused = post(server, "/v1/evals/query", body, key)
    assert refused.status_code == 400 and "property_key" in refused.json()["error"]


def test_the_window_includes_its_end_for_summaries_and_excludes_it_for_histograms(
    server: InProcessServer,
):
    """As Jawn: getXOverTime reads `lte end`, getScoreDistributions `lt end`."""
    key = new_org(server)
    request_id = logged_call(server, key)
    assert score(server, request_id, {"accuracy": 7}, key).json() == OK
    moment = created_at(server, request_id, key)
    ends_on_it = {
        "start": (moment - timedelta(hours=1)).isoformat(),
        "end": moment.isoformat(timespec="milliseconds"),
    }
    body = {"filter": "all", "timeFilter": ends_on_it}
    [summary] = data(post(server, "/v1/evals/query", body, key))
    assert summary["count"] == 1
    assert data(post(server, "/v1/evals/score-distributions/query", body, key)) == []
    starts_on_it = {"start": ends_on_it["end"], "end": (moment + timedelta(hours=1)).isoformat()}
    body = {"filter": "all", "timeFilter": starts_on_it}
    assert data(post(server, "/v1/evals/query", body, key))[0]["count"] == 1
    assert len(data(post(server, "/v1/evals/score-distributions/query", body, key))) == 1


def test_each_endpoint_sees_only_its_organization(server: InProcessServer):
    owner, other = new_org(server), new_org(server)
    owned = logged_call(server, owner)
    theirs = logged_call(server, other)
    assert score(server, owned, {"shared_name": 10, "owner_only": 1}, owner).json() == OK
    assert score(server, theirs, {"shared_name": 90}, other).json() == OK
    owner_id = organization_of(server, owner)
    time_filter = window()
    with server.api(other) as client:
        assert data(client.get("/v1/evals/scores")) == ["shared_name"]
    for filter_node in (
        "all",
        {"request_response_rmt": {"organization_id": {"equals": owner_id}}},
        {"request_response_rmt": {"request_id": {"equals": owned}}},
    ):
        body = {"filter": filter_node, "timeFilter": time_filter}
        evals = data(post(server, "/v1/evals/query", body, other))
        assert [(e["name"], e["maxScore"]) for e in evals if e["count"]] == (
            [("shared_name", 90)] if filter_node == "all" else []
        )
        histograms = data(post(server, "/v1/evals/score-distributions/query", body, other))
        assert [h["distribution"] for h in histograms] == (
            [[{"lower": 90, "upper": 90, "value": 1}]] if filter_node == "all" else []
        )
    stolen = post(server, f"/v1/evals/{owned}", {"name": "shared_name", "score": 0}, other)
    assert stolen.status_code == 404 and stolen.json()["data"] is None
    body = {"filter": "all", "timeFilter": time_filter}
    evals = data(post(server, "/v1/evals/query", body, owner))
    averages = [(e["name"], e["averageScore"]) for e in evals]
    assert averages == [("owner_only", 1), ("shared_name", 10)]


def test_the_openapi_document_names_the_operations_as_helicone_does(server: InProcessServer):
    paths = server.request("GET", "/openapi.json").json()["paths"]
    assert paths["/v1/evals/query"]["post"]["operationId"] == "QueryEvals"
    assert paths["/v1/evals/scores"]["get"]["operationId"] == "GetEvalScores"
    distributions = paths["/v1/evals/score-distributions/query"]["post"]
    assert distributions["operationId"] == "QueryScoreDistributions"
    add = paths["/v1/evals/{request_id}"]["post"]
    assert add["operationId"] == "AddEval"
    assert add["requestBody"]["required"] is True

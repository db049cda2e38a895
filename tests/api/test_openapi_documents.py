"""The OpenAPI document's hand-built schemas (HQL, alerts, webhooks, API keys) agree with the
handlers that validate those bodies, and text the metadata database cannot store is refused
with a 400 rather than failing there (on the in-process app)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jsonschema
import pytest

from heliograph.alerts.definition import MAX_WINDOW_MS, MIN_WINDOW_MS, parse_alert
from heliograph.api.schemas.alerts import WINDOW_DIGITS
from heliograph.api.schemas.hql import HqlErrorCode
from heliograph.errors import InvalidRequestError
from heliograph.hql import errors
from tests.api import otlp_helpers
from tests.inprocess import InProcessServer

RMT = "request_response_rmt"
HOOK = "http://127.0.0.1:9/alerts"  # the discard port: nothing listens


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _document(server: InProcessServer) -> dict[str, Any]:
    document: dict[str, Any] = server.request("GET", "/openapi.json").json()
    return document


def _validator(document: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def _condition(column: str, operator: str, value: Any, **field: Any) -> dict[str, Any]:
    return {
        "type": "condition",
        "field": {"column": column, **field},
        "operator": operator,
        "value": value,
    }


GOOD_FILTERS: list[Any] = [
    None,
    "all",
    {RMT: {"model": {"equals": "gpt-4o"}}},
    {"type": "all"},
    {"type": "and", "expressions": []},
    _condition("model", "eq", "gpt-4o", table=RMT),
    _condition("status", "gte", 500),
    _condition("latency", "gt", "1500"),
    _condition("helicone-score-feedback", "is", True),
    _condition("cached", "equals", "true"),
    _condition("Environment", "eq", "prod", subtype="property", valueMode="value", key="env"),
    _condition("scores", "gte", 80, subtype="score", valueMode="value", key="accuracy"),
    {
        "type": "or",
        "expressions": [
            _condition("provider", "neq", "openai", tableLabel="Requests"),
            {"type": "and", "expressions": [_condition("cost", "lt", 0.5)]},
        ],
    },
]
BAD_FILTERS: list[Any] = [
    {RMT: {"colour": {"equals": "x"}}},
    {"type": "condition", "field": {"column": "model"}, "operator": "eq"},
    _condition("colour", "eq", "x"),
    _condition("model", "gt", "x"),
    _condition("status", "eq", "fast"),
    _condition("request_created_at", "gte", "yesterday"),
    _condition("env", "gt", "x", subtype="property", valueMode="value", key="env"),
    {"type": "and", "expressions": "all"},
    {"type": "xor", "expressions": []},
    42,
]


def _alert(filter_: Any) -> dict[str, Any]:
    return {
        "name": "filtered",
        "metric": "count",
        "threshold": 10,
        "time_window": 60_000,
        "webhook_urls": [HOOK],
        "filter": filter_,
    }


def test_alert_filter_schema_and_server_agree(server: InProcessServer):
    document = _document(server)
    alert_filter = _validator(document, "AlertFilter")
    request = _validator(document, "AlertRequest")
    key = server.create_key(f"openapi-alerts-{uuid.uuid4().hex[:8]}")
    with server.api(key) as client:
        for good in GOOD_FILTERS:
            assert alert_filter.is_valid(good), good
            assert request.is_valid(_alert(good)), good
            created = client.post("/v1/alert/create", json=_alert(good))
            assert created.status_code == 200, (good, created.text)
        for bad in BAD_FILTERS:
            assert not alert_filter.is_valid(bad), bad
            refused = client.post("/v1/alert/create", json=_alert(bad))
            assert refused.status_code == 400, (bad, refused.text)
            assert refused.json()["error"].startswith(("Invalid filter", "Invalid request"))


def test_alert_targets_must_hold_one_address(server: InProcessServer):
    request = _validator(_document(server), "AlertRequest")
    body = {**_alert(None), "webhook_urls": None, "emails": None}
    assert not request.is_valid(body)
    assert not request.is_valid({**body, "emails": []})
    assert request.is_valid({**body, "emails": ["team@example.com"]})
    with server.api() as client:
        assert client.post("/v1/alert/create", json=body).status_code == 400


@pytest.mark.parametrize(
    "window",
    [
        MIN_WINDOW_MS - 1,
        MIN_WINDOW_MS,
        MIN_WINDOW_MS + 1,
        99_999,
        100_000,
        999_999_999,
        1_000_000_000,
        1_999_999_999,
        2_499_999_999,
        2_589_999_999,
        2_591_999_999,
        MAX_WINDOW_MS,
        MAX_WINDOW_MS + 1,
        9_999_999_999,
    ],
)
def test_time_window_digits_are_exactly_the_accepted_range(window: int):
    for text in (str(window), "00" + str(window)):
        documented = re.fullmatch(WINDOW_DIGITS, text) is not None
        try:
            parse_alert({**_alert(None), "time_window": text})
            accepted = True
        except InvalidRequestError:
            accepted = False
        assert documented == accepted == (MIN_WINDOW_MS <= window <= MAX_WINDOW_MS), text


@pytest.mark.parametrize("text", ["\u00b2", "3\u00b2000", "\u00bd"])
def test_time_window_other_digits_are_refused_not_a_crash(server: InProcessServer, text: str):
    with server.api() as client:
        response = client.post("/v1/alert/create", json={**_alert(None), "time_window": text})
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("Invalid time_window")


def test_hql_errors_are_documented_with_their_codes(server: InProcessServer):
    assert set(HqlErrorCode.__args__) == set(errors.STATUS)  # type: ignore[attr-defined]
    document = _document(server)
    envelope = _validator(document, "HqlErrorEnvelope")
    paths = document["paths"]
    execute = paths["/v1/helicone-sql/execute"]["post"]["responses"]
    assert execute["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HqlErrorEnvelope"
    }
    download = paths["/v1/helicone-sql/download"]["post"]["responses"]
    assert set(download["200"]["content"]) == {"text/csv"}
    assert set(download["404"]["content"]) == {"application/json"}
    with server.api() as client:
        not_json = client.post(
            "/v1/helicone-sql/execute",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        as_text = client.post(
            "/v1/helicone-sql/execute",
            content=b'{"sql": "SELECT 1"}',
            headers={"content-type": "text/plain"},
        )
        float_limit = client.post(
            "/v1/helicone-sql/execute", json={"sql": "SELECT 1", "limit": 5.0}
        )
    for refused in (not_json, as_text):
        assert refused.status_code == 400 and envelope.is_valid(refused.json()), refused.text
        assert refused.json()["hqlError"]["code"] == "HQL_MISSING_QUERY_SQL"
    # 5.0 is an integer to JSON Schema, as the document's `limit: integer` promises.
    assert float_limit.status_code == 200, float_limit.text


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/v1/helicone-sql/saved-query", {"name": "a\x00b", "sql": "SELECT 1"}, 400),
        ("/v1/helicone-sql/saved-query", {"name": "ab", "sql": "SELECT 1\x00"}, 400),
        ("/v1/api-keys", {"name": "ci\x00"}, 400),
    ],
)
def test_nul_characters_are_refused_before_the_database(
    server: InProcessServer, path: str, body: dict[str, Any], code: int
):
    with server.api() as client:
        response = client.post(path, json=body)
    assert response.status_code == code, response.text
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    "field",
    ['"name": "bad \\ud800 name"', '"emails": ["a\\ud800@example.com"]'],
)
def test_lone_surrogates_in_alerts_are_refused(server: InProcessServer, field: str):
    body = (
        '{"metric": "count", "threshold": 1, "time_window": 60000, '
        f'"webhook_urls": ["{HOOK}"], "name": "ok", {field}}}'
    )
    with server.api() as client:
        response = client.post(
            "/v1/alert/create", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    "attributes",
    [
        [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "\u00b2"}}],
        [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "--5"}}],
        [{"key": "gen_ai.prompt.\u00b2.content", "value": {"stringValue": "hi"}}],
    ],
)
def test_odd_digits_in_traces_are_not_a_crash(
    server: InProcessServer, attributes: list[dict[str, Any]]
):
    llm = [
        {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
    ]
    spans = [otlp_helpers.span("chat", {})]
    spans[0]["attributes"] = llm + attributes
    with server.api() as client:
        response = client.post("/v1/trace/log", json=otlp_helpers.document(*spans))
    assert response.status_code == 204, response.text

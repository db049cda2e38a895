"""The OpenAPI document describes every REST endpoint, and the server keeps to it.

Schemathesis generates schema-valid requests from /openapi.json for every operation and checks
each answer: never a 5xx, a documented status code and content type, a body matching the
documented response schema, and no 400 for a request the schema allows. It also sends
schema-violating requests: those must be refused with a documented error, never a 5xx. The
server holds a few logged requests (sessions, users, properties, scores) so that answers have
rows to check.

Routers still being described are listed in NOT_YET_CONVERTED: their operations run too, and
their failures are printed, but only the others fail the test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    object_level_authorization,
    response_schema_conformance,
    status_code_conformance,
)

from heliograph.api.metrics import MetricsTimeFilter, OverTimeQuery, over_time_buckets, window_of
from heliograph.errors import InvalidRequestError
from heliograph.gateway.ratelimit import parse_policy
from heliograph.mock_provider import FakeProvider
from heliograph.outbound.allowlist import AllowList
from heliograph.outbound.policy import OutboundPolicy
from heliograph.store.evals import bucket_starts, time_window
from heliograph.store.filters import FilterError, check_size
from heliograph.store.metrics_time import Buckets
from tests.inprocess import BASE_URL, InProcessServer

# Checks that send probes of their own outside the given session (so over the network):
# every route's refusal of a missing or wrong key is in tests/test_error_shapes.py instead.
PROBING_CHECKS = [ignored_auth, object_level_authorization]
EXAMPLES_PER_OPERATION = 15
INVALID_EXAMPLES = 8
NOT_YET_CONVERTED: tuple[str, ...] = ()
# The in-process server answers in threads of this process, and its code (webhook retry
# jitter, cache buckets, retried version numbers) may draw from the global `random` while
# Hypothesis generates a case, which Hypothesis then takes for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
# Rules JSON Schema cannot state (each is in the operation's description): a time window's
# start is not after its end, and /v1/evals/query fills at most 10000 hourly buckets.
WINDOWED = {
    "/v1/evals/query": "hour",
    "/v1/evals/score-distributions/query": None,
    "/v1/dashboard/scores/query": None,
}
# HQL's `sql` must be one SELECT over its tables: generated SQL becomes one of these.
SQL_OPERATIONS = ("/v1/helicone-sql/execute", "/v1/helicone-sql/download")
VALID_SQL = (
    "SELECT request_id, status, cost FROM request_response_rmt ORDER BY request_created_at",
    "SELECT model, count() AS n FROM request_response_rmt GROUP BY model",
    "SELECT properties['App'] AS app, sum(prompt_tokens) AS tokens FROM request_response_rmt "
    "GROUP BY app",
)


def _logged_call(server: InProcessServer, i: int, headers: dict[str, str]) -> str:
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={
            "Helicone-Auth": f"Bearer {server.api_key}",
            "Helicone-Request-Id": request_id,
            "x-fake-behaviour": f"words={3 + i}",
            **headers,
        },
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"call {i}"}]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return request_id


@pytest.fixture(scope="module")
def openapi_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    """A private server (generated calls delete and change things) with a few logged calls."""
    process = InProcessServer(tmp_path_factory.mktemp("openapi") / "data", fake_provider.url)
    # In the test process (no sockets): schemathesis' requests go through requests_session().
    process.start()
    request_ids = [
        _logged_call(
            process,
            i,
            {
                "Helicone-Property-App": f"app-{i % 2}",
                "Helicone-User-Id": f"user-{i % 3}",
                "Helicone-Session-Id": f"session-{i % 2}",
                "Helicone-Session-Name": "Agent",
                "Helicone-Session-Path": f"/plan/step-{i}",
            },
        )
        for i in range(6)
    ]
    for request_id in request_ids:
        process.wait_for_request(request_id)
    with process.api() as client:
        for i, request_id in enumerate(request_ids[:3]):
            scored = client.post(f"/v1/request/{request_id}/score", json={"scores": {"acc": i}})
            assert scored.status_code == 201, scored.text
        assert client.post("/v1/session/session-0/feedback", json={"rating": True}).is_success
    yield process
    process.stop()


def test_the_document_is_openapi_3_1_and_lists_the_rest_api(openapi_server: InProcessServer):
    document = openapi_server.request("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    paths = set(document["paths"])
    for path in ("/v1/request/query-clickhouse", "/v1/request/{request_id}", "/v1/property/query"):
        assert path in paths
    assert not any(path.startswith(("/openai", "/anthropic", "/gateway")) for path in paths), (
        "proxy routes are not REST endpoints"
    )
    assert document["components"]["securitySchemes"]["api_key"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    assert "x-heliograph-component" not in str(document), "every placeholder became a $ref"
    query = schemas["RequestQueryParams"]["properties"]
    assert query["filter"]["$ref"] == "#/components/schemas/RequestFilterNode"
    assert query["limit"]["maximum"] == 1000
    branch = schemas["RequestFilterBranch"]["properties"]
    assert branch["left"]["$ref"] == "#/components/schemas/RequestFilterNode"
    assert "users_view" in schemas["UserFilterLeaf"]["properties"]
    assert "users_view" not in schemas["RequestFilterLeaf"]["properties"]
    assert "openai" in schemas["NewProviderKey"]["properties"]["provider"]["enum"]


RMT = "request_response_rmt"
HELICONE_EXAMPLES: list[Any] = [  # from Helicone's query-clickhouse page
    "all",
    {RMT: {"model": {"contains": "gpt-4"}}},
    {
        "left": {RMT: {"model": {"contains": "gpt-4"}}},
        "operator": "and",
        "right": {RMT: {"user_id": {"equals": "abc@email.com"}}},
    },
    {
        "left": {
            "left": {RMT: {"request_created_at": {"gte": "2024-08-01T00:00:00Z"}}},
            "operator": "and",
            "right": {RMT: {"request_created_at": {"lte": "2024-08-31T23:59:59Z"}}},
        },
        "operator": "and",
        "right": {RMT: {"properties": {"appname": {"equals": "LlamaCoder"}}}},
    },
    {"feedback": {"rating": {"equals": False}}},
    {RMT: {"helicone-score-feedback": {"equals": True}, "scores": {"acc": {"gte": 80}}}},
    {"properties": {"ticket-id": {"equals": "x"}}},
]
BAD_FILTERS: list[Any] = [
    {"nope": {"model": {"equals": "x"}}},
    {RMT: {"colour": {"equals": "x"}}},
    {RMT: {"model": {"gt": "x"}}},
    {RMT: {"latency": {"equals": "fast"}}},
    {RMT: {"request_created_at": {"gte": "yesterday"}}},
    {"left": "all", "operator": "xor", "right": "all"},
    {RMT: {}},
    {RMT: {"model": {"like": "gpt-4\\"}}},  # a LIKE pattern ending in a lone escape
    42,
]


def _validator(document: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_filter_schemas_take_helicone_examples_and_refuse_bad_filters(
    openapi_server: InProcessServer,
):
    document = openapi_server.request("GET", "/openapi.json").json()
    requests, sessions, users = (
        _validator(document, f"{context}FilterNode") for context in ("Request", "Session", "User")
    )
    for example in HELICONE_EXAMPLES:
        for validator in (requests, sessions, users):
            assert validator.is_valid(example), example
    for bad in BAD_FILTERS:
        assert not requests.is_valid(bad), bad
    session_total = {"sessions_request_response_rmt": {"session_total_cost": {"gt": 1}}}
    assert sessions.is_valid(session_total) and not requests.is_valid(session_total)
    user_total = {"users_view": {"user_cost": {"gte": 0.5}}}
    assert users.is_valid(user_total) and not requests.is_valid(user_total)
    with openapi_server.api() as client:  # the server agrees with the schema on each of them
        for example in HELICONE_EXAMPLES:
            body = {"filter": example, "limit": 1}
            assert client.post("/v1/request/query-clickhouse", json=body).status_code == 200
        for bad in BAD_FILTERS:
            body = {"filter": bad, "limit": 1}
            assert client.post("/v1/request/query-clickhouse", json=body).status_code == 400


def test_docs_page_needs_no_cdn(openapi_server: InProcessServer):
    page = openapi_server.request("GET", "/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "unpkg" not in page.text
    script = openapi_server.request("GET", "/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def _keep_window_rules(case: Case) -> Case:
    """A generated time window made valid: where it is reversed or too long, end = start."""
    increment = WINDOWED.get(case.operation.path, "")
    body = case.body
    if (
        increment == ""
        or not isinstance(body, dict)
        or not isinstance(body.get("timeFilter"), dict)
    ):
        return case
    window = body["timeFilter"]
    if "start" not in window or "end" not in window:
        return case
    try:
        checked = time_window(window["start"], window["end"], body.get("timeZoneDifference", 0))
        if increment is not None:
            bucket_starts(checked, increment)
    except (InvalidRequestError, FilterError):
        case.body = {**body, "timeFilter": {**window, "end": window["start"]}}
    return case


METRICS_PATHS = ("/v1/metrics/", "/v1/property/properties/over-time", "/v1/providers")
TOP_VALUES_PATHS = ("/top-costs/query", "/top-requests/query")


def _keep_metrics_rules(case: Case) -> Case:
    """A generated metrics window made valid: where it is reversed, or an over-time route
    would answer too many buckets or points, end = start."""
    body = case.body
    path = case.operation.path
    windowed = path.startswith(METRICS_PATHS) or path.endswith(TOP_VALUES_PATHS)
    if not windowed or not isinstance(body, dict):
        return case
    window = body.get("timeFilter")
    try:
        checked = window_of(MetricsTimeFilter.model_validate(window))
        if path == "/v1/metrics/over-time":
            over_time_buckets(OverTimeQuery.model_validate(body), checked)
        elif path.endswith(("OverTime", "/timeToFirstToken", "/quantiles", "/over-time")):
            increment = body.get("dbIncrement", body.get("increment", "hour"))
            difference = body.get("timeZoneDifference", body.get("timezoneDifference", 0))
            Buckets.plan(checked, increment, difference)
    except (
        InvalidRequestError,
        FilterError,
        ValueError,
        TypeError,
    ):  # ValidationError: a ValueError
        if isinstance(window, dict):
            end = {"end": window.get("start"), "endTimeUnixMs": window.get("startTimeUnixMs")}
            case.body = {**body, "timeFilter": {**window, **end}}
    return case


def _keep_sql_rules(case: Case) -> Case:
    """Generated HQL becomes a valid query (any text is schema-valid SQL)."""
    body = case.body
    if case.operation.path in SQL_OPERATIONS and isinstance(body, dict) and "sql" in body:
        case.body = {**body, "sql": VALID_SQL[len(str(body["sql"])) % len(VALID_SQL)]}
    return case


# A generated import's content is any text; a file of the format it names is what is valid.
IMPORT_SAMPLES = {
    "jsonl": '{"messages": [{"role": "user", "content": "hi"}, '
    '{"role": "assistant", "content": "hello"}]}\n',
    "csv": "user_message,assistant_response\nhi,hello\n",
}


def _keep_import_rules(case: Case) -> Case:
    body = case.body
    if (
        case.operation.path.endswith("/import")
        and isinstance(body, dict)
        and body.get("format") in IMPORT_SAMPLES
    ):
        case.body = {**body, "content": IMPORT_SAMPLES[body["format"]]}
    return case


FILTER_FIELDS = ("filter", "userFilter")


def _keep_filter_rules(case: Case) -> Case:
    """A generated filter past the bounds JSON Schema cannot say (conditions, depth) is "all"."""
    body = case.body
    for field in FILTER_FIELDS:
        if isinstance(body, dict) and field in body:
            try:
                check_size(body[field])
            except FilterError:
                body = case.body = {**body, field: "all"}
    return case


# A URL the server would call (webhooks, alert webhooks) must also pass the outbound policy,
# which JSON Schema cannot state: a generated one the policy refuses becomes a public one.
OUTBOUND_FIELDS = ("destination", "webhook_urls")
PUBLIC_URL = "https://hooks.example.com/heliograph"


def _allowed(url: Any) -> Any:
    try:
        asyncio.run(OutboundPolicy(AllowList()).check(url))
    except ValueError:  # refused by the policy (OutboundRefused, OutboundUrlError)
        return PUBLIC_URL
    except OSError:  # does not resolve: the server takes it and checks again at delivery
        pass
    return url


def _keep_policy_rules(case: Case) -> Case:
    """A generated rate-limit policy the gateway's grammar refuses (a window under 60 s,
    say: more than a pattern can say) is a valid one."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("rateLimitPolicy"), str):
        try:
            parse_policy(body["rateLimitPolicy"])
        except InvalidRequestError:
            case.body = {**body, "rateLimitPolicy": "100;w=60"}
    return case


def _keep_outbound_rules(case: Case) -> Case:
    body = case.body
    if isinstance(body, dict) and any(field in body for field in OUTBOUND_FIELDS):
        changed = dict(body)
        if isinstance(body.get("destination"), str):
            changed["destination"] = _allowed(body["destination"])
        if isinstance(body.get("webhook_urls"), list):
            changed["webhook_urls"] = [_allowed(url) for url in body["webhook_urls"]]
        case.body = changed
    return case


def _failure(
    operation: Any,
    server: InProcessServer,
    headers: dict[str, str],
    examples: int = EXAMPLES_PER_OPERATION,
    mode: GenerationMode = GenerationMode.POSITIVE,
    checks: list[Any] | None = None,
) -> str | None:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode == GenerationMode.POSITIVE:
        strategy = (
            strategy.map(_keep_window_rules)
            .map(_keep_metrics_rules)
            .map(_keep_sql_rules)
            .map(_keep_filter_rules)
            .map(_keep_outbound_rules)
            .map(_keep_policy_rules)
            .map(_keep_import_rules)
        )

    session = server.requests_session()

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],  # shrinking a failing call can take minutes
    )
    def check(case: Case) -> None:
        case.call_and_validate(
            base_url=BASE_URL,
            session=session,
            headers=headers,
            checks=checks,
            excluded_checks=PROBING_CHECKS,
        )

    try:
        check()
    except Unsatisfiable:  # nothing to make invalid: no parameters and no body
        return None
    except (Exception, BaseExceptionGroup) as exc:  # report every failing operation
        found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
        return "\n".join(str(one)[:2000] for one in found)
    return None


def _headline(failure: str) -> str:
    lines = [line.strip() for line in failure.splitlines() if line.strip()]
    return next((line for line in lines if line.startswith("- ")), lines[0] if lines else "")[:160]


def _check_all(
    server: InProcessServer,
    capsys: pytest.CaptureFixture[str],
    mode: GenerationMode,
    examples: int,
    checks: list[Any] | None = None,
) -> None:
    api_schema = schemathesis.openapi.from_dict(server.request("GET", "/openapi.json").json())
    headers = {"Authorization": f"Bearer {server.api_key}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    failures: dict[str, str] = {}
    pending: dict[str, str] = {}
    for operation in operations:
        failure = _failure(operation, server, headers, examples, mode, checks)
        if failure is not None:
            converted = not operation.path.startswith(NOT_YET_CONVERTED)
            (failures if converted else pending)[operation.label] = failure
    with capsys.disabled():
        print(
            f"\nOpenAPI check ({mode.value} requests): {len(operations)} operations; failures "
            f"not counted for the not-yet-converted {', '.join(NOT_YET_CONVERTED) or '(none)'}"
        )
        for label, text in pending.items():
            print(f"  not yet converted, failing: {label}: {_headline(text)}")
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_every_operation_keeps_to_the_document(
    openapi_server: InProcessServer, capsys: pytest.CaptureFixture[str]
):
    """Schema-valid requests: accepted, answered as documented, never a 5xx."""
    _check_all(openapi_server, capsys, GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION)


def test_invalid_requests_are_refused_as_documented(
    openapi_server: InProcessServer, capsys: pytest.CaptureFixture[str]
):
    """Schema-violating requests: never a 5xx, and the refusal is a documented error."""
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    _check_all(openapi_server, capsys, GenerationMode.NEGATIVE, INVALID_EXAMPLES, checks)

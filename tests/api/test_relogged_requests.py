"""A request id logged twice (a client re-posting a log, an OTLP exporter retrying) is one
request everywhere: request query, metrics, users, sessions and HQL, newest log's values."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.api.async_log_helpers import example, logged_row, post_log
from tests.api.otlp_helpers import START_NS, document, post_traces, span
from tests.inprocess import InProcessServer

USER, SESSION = "relogging-user", "relogging-session"


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def custom_log(request_id: str, answer: str, ended_s: int) -> dict[str, Any]:
    body = example()
    body["providerRequest"]["meta"] = {
        "Helicone-Request-Id": request_id,
        "Helicone-User-Id": USER,
        "Helicone-Session-Id": SESSION,
    }
    body["providerResponse"]["json"]["choices"][0]["message"]["content"] = answer
    body["timing"]["endTime"] = {"seconds": ended_s, "milliseconds": 0}
    return body


def chat_span() -> dict[str, Any]:
    """An LLM span; the same span (trace and span id) always becomes the same request id."""
    attributes = {
        "gen_ai.system": "openai",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.prompt_tokens": 25,
        "gen_ai.usage.completion_tokens": 12,
        "llm.user": USER,
        "traceloop.association.properties.Helicone-Session-Id": SESSION,
    }
    return span("openai.chat", attributes, start_ns=START_NS)


def counts(server: InProcessServer, key: str) -> dict[str, Any]:
    """What each reader says about the organization's requests."""
    everything_ms = {"startTimeUnixMs": 0, "endTimeUnixMs": int(time.time() * 1000) + 60_000}
    with server.api(key) as client:

        def data(path: str, body: dict[str, Any]) -> Any:
            response = client.post(path, json=body)
            assert response.status_code == 200, response.text
            return response.json()["data"]

        requests = data("/v1/request/query-clickhouse", {"filter": "all"})
        window = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
        overview = data("/v1/metrics/overview", {"timeFilter": window})
        users = data("/v1/user/metrics/query", {"filter": "all", "offset": 0, "limit": 10})
        sessions = data("/v1/session/query", {"timeFilter": everything_ms, "search": ""})
        hql = data(
            "/v1/helicone-sql/execute",
            {"sql": "SELECT count() AS n, uniqExact(request_id) AS ids FROM request_response_rmt"},
        )
    return {
        "request ids": sorted(row["request_id"] for row in requests),
        "metrics": overview["request_count"],
        "users": [(user["user_id"], user["total_requests"]) for user in users["users"]],
        "sessions": [(s["session_id"], s["total_requests"]) for s in sessions],
        "hql": hql["rows"],
    }


def test_a_log_posted_twice_with_one_id_is_one_request(server: InProcessServer):
    key = server.create_key(f"relog-{uuid.uuid4()}")
    resent, other = str(uuid.uuid4()), str(uuid.uuid4())
    logged_row(server, custom_log(resent, "first answer", 1677721749), key=key)
    assert post_log(server, custom_log(resent, "newer answer", 1677721760), key=key).is_success
    logged_row(server, custom_log(other, "another request", 1677721770), key=key)  # stored last

    assert counts(server, key) == {
        "request ids": sorted([resent, other]),
        "metrics": 2,
        "users": [(USER, 2)],
        "sessions": [(SESSION, 2)],
        "hql": [{"n": 2, "ids": 2}],
    }
    newest = server.wait_for_request(resent, key)
    assert newest["response_body"]["choices"][0]["message"]["content"] == "newer answer"


def test_a_resent_otlp_export_is_one_request(server: InProcessServer):
    key = server.create_key(f"relog-{uuid.uuid4()}")
    chat = chat_span()
    body = document(chat)
    assert post_traces(server, body, key=key).is_success
    assert post_traces(server, body, key=key).is_success  # the exporter retried
    # One export holding the span twice: both rows in the same batch.
    assert post_traces(server, document(chat, chat), key=key).is_success
    sentinel = str(uuid.uuid4())
    logged_row(server, custom_log(sentinel, "after the exports", 1677721770), key=key)

    found = counts(server, key)
    assert len(found["request ids"]) == 2 and sentinel in found["request ids"]
    assert found | {"request ids": None} == {
        "request ids": None,
        "metrics": 2,
        "users": [(USER, 2)],
        "sessions": [(SESSION, 2)],
        "hql": [{"n": 2, "ids": 2}],
    }

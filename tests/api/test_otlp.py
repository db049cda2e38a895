"""OTLP/HTTP JSON traces on `/v1/traces` and Helicone's `/v1/trace/log`: GenAI spans as rows."""

from __future__ import annotations

import gzip
import uuid
from typing import Any

import orjson
import pytest

from heliograph.usage import Usage
from tests.api.async_log_helpers import catalog_cost, example, logged_row
from tests.api.otlp_helpers import START_NS, document, post_traces, rows_with_property, span
from tests.inprocess import InProcessServer

ASSOCIATION = "traceloop.association.properties."


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def chat_span(run: str, **extra: Any) -> dict[str, Any]:
    """An OpenAI chat span with the attributes OpenLLMetry (gen_ai.prompt.N era) sets."""
    attributes = {
        "gen_ai.system": "openai",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "You are a helpful assistant.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Who won the world series in 2020?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "The Los Angeles Dodgers won the World Series in 2020.",
        "gen_ai.completion.0.finish_reason": "stop",
        "gen_ai.usage.prompt_tokens": 25,
        "gen_ai.usage.completion_tokens": 12,
        "llm.usage.total_tokens": 37,
        "llm.user": "user-42",
        f"{ASSOCIATION}Helicone-Session-Id": "session-abc",
        f"{ASSOCIATION}Helicone-Session-Path": "/abstract",
        f"{ASSOCIATION}Helicone-Session-Name": "Course Plan",
        f"{ASSOCIATION}Helicone-Property-Run": run,
        **extra,
    }
    return span("openai.chat", attributes)


def workflow_span() -> dict[str, Any]:
    return span("plan_course.workflow", {"traceloop.span.kind": "workflow"})


def test_llm_spans_become_rows_and_other_spans_are_skipped(server: InProcessServer):
    run = str(uuid.uuid4())
    response = post_traces(server, document(workflow_span(), chat_span(run)))
    assert response.status_code == 200
    assert response.json() == {
        "partialSuccess": {
            "rejectedSpans": "0",
            "errorMessage": "skipped 1 span(s) that are not LLM calls (no gen_ai model or "
            "LLM operation): plan_course.workflow",
        }
    }
    [row] = rows_with_property(server, "Run", run, 1)
    assert {key: row[key] for key in ("model", "provider", "response_status", "delay_ms")} == {
        "model": "gpt-4o-mini",
        "provider": "OPENAI",
        "response_status": 200,
        "delay_ms": 1500,
    }
    assert (row["prompt_tokens"], row["completion_tokens"]) == (25, 12)
    assert row["cost"] == pytest.approx(catalog_cost("OPENAI", "gpt-4o-mini", Usage(25, 12)))
    assert row["request_user_id"] == "user-42"
    assert row["request_properties"] == {
        "Run": run,
        "Helicone-Session-Id": "session-abc",
        "Helicone-Session-Path": "/abstract",
        "Helicone-Session-Name": "Course Plan",
    }
    assert row["request_created_at"] == "2023-11-14 22:13:20.000"
    assert row["request_body"] == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Who won the world series in 2020?"},
        ],
        "temperature": 0.7,
        "max_tokens": 256,
        "user": "user-42",
    }
    [choice] = row["response_body"]["choices"]
    assert choice == {
        "index": 0,
        "message": {
            "role": "assistant",
            "content": "The Los Angeles Dodgers won the World Series in 2020.",
        },
        "finish_reason": "stop",
    }


def test_newer_semantic_conventions_tool_calls_and_anthropic_cache(server: InProcessServer):
    run = str(uuid.uuid4())
    output = [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": "{}"}],
            "finish_reason": "tool_calls",
        }
    ]
    attributes = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-3-5-sonnet-20241022",
        "gen_ai.input.messages": orjson.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}]
        ).decode(),
        "gen_ai.output.messages": orjson.dumps(output).decode(),
        "gen_ai.usage.input_tokens": 1100,
        "gen_ai.usage.output_tokens": 40,
        "gen_ai.usage.cache_read_input_tokens": 1000,
        "gen_ai.usage.cache_creation_input_tokens": 50,
        "gen_ai.user": "user-7",
        f"{ASSOCIATION}Helicone-Property-Run": run,
    }
    assert post_traces(server, document(span("anthropic.chat", attributes))).json() == {}
    [row] = rows_with_property(server, "Run", run, 1)
    assert (row["provider"], row["prompt_cache_read_tokens"], row["prompt_cache_write_tokens"]) == (
        "ANTHROPIC",
        1000,
        50,
    )
    usage = Usage(1100, 40, cache_read_tokens=1000, cache_write_tokens=50)
    assert row["cost"] == pytest.approx(
        catalog_cost("ANTHROPIC", "claude-3-5-sonnet-20241022", usage)
    )
    assert row["request_body"]["messages"] == [{"role": "user", "content": "Weather?"}]
    assert row["request_user_id"] == "user-7"
    [choice] = row["response_body"]["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
    ]


def test_error_spans_keep_their_status_and_message(server: InProcessServer):
    run = str(uuid.uuid4())
    failed = chat_span(run, **{"http.response.status_code": 429, "error.type": "RateLimitError"})
    failed["status"] = {"code": 2, "message": "Rate limit reached"}
    crashed = chat_span(run)
    crashed["status"] = {"code": "STATUS_CODE_ERROR", "message": "boom"}
    assert post_traces(server, document(failed, crashed)).json() == {}
    rows = rows_with_property(server, "Run", run, 2)
    assert sorted((r["response_status"], r["response_body"]["error"]["message"]) for r in rows) == [
        (429, "Rate limit reached"),
        (500, "boom"),
    ]


def test_http_headers_apply_to_every_span_and_spans_win(server: InProcessServer):
    run = str(uuid.uuid4())
    overriding = chat_span(run, **{f"{ASSOCIATION}Helicone-User-Id": "span-user"})
    plain = chat_span(run)
    post_traces(
        server,
        document(overriding, plain),
        **{"Helicone-User-Id": "header-user", "Helicone-Property-Team": "search"},
    )
    rows = rows_with_property(server, "Run", run, 2)
    assert sorted(r["request_user_id"] for r in rows) == ["header-user", "span-user"]
    assert {r["request_properties"]["Team"] for r in rows} == {"search"}


def test_a_resent_export_replaces_its_rows(server: InProcessServer):
    """Exporters retry: the same span (trace and span id) always maps to the same row."""
    run = str(uuid.uuid4())
    body = document(chat_span(run))
    post_traces(server, body)
    [first] = rows_with_property(server, "Run", run, 1)
    post_traces(server, body)
    logged_row(server, example())  # rows are stored in order: this one follows the resend
    [again] = rows_with_property(server, "Run", run, 1)
    assert again["request_id"] == first["request_id"]


def test_broken_spans_are_rejected_alone(server: InProcessServer):
    run = str(uuid.uuid4())
    broken = chat_span(run)
    broken["startTimeUnixNano"] = "soon"
    backwards = chat_span(run)
    backwards["endTimeUnixNano"] = str(START_NS - 1)
    huge = chat_span(run, **{"gen_ai.usage.prompt_tokens": 2**64 - 1})
    response = post_traces(server, document(broken, chat_span(run), backwards, huge))
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "3"
    assert "resourceSpans[0].scopeSpans[0].spans[0]: startTimeUnixNano" in partial["errorMessage"]
    assert "spans[2]: endTimeUnixNano is before" in partial["errorMessage"]
    assert "spans[3]: attributes[" in partial["errorMessage"]
    assert "is out of the int64 range" in partial["errorMessage"]
    assert len(rows_with_property(server, "Run", run, 1)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "resourceSpans"),
        ({"resourceSpans": {}}, "resourceSpans"),
        ({"resourceSpans": [[]]}, "resourceSpans[0]"),
        ({"resourceSpans": [{"scopeSpans": "x"}]}, "resourceSpans[0].scopeSpans"),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": 1}]}]},
            "resourceSpans[0].scopeSpans[0].spans",
        ),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": ["x"]}]}]},
            "resourceSpans[0].scopeSpans[0].spans[0]",
        ),
        ([], "body"),
    ],
)
def test_malformed_documents_are_400_naming_the_field(
    server: InProcessServer, body: Any, field: str
):
    for path in ("/v1/traces", "/v1/trace/log"):
        response = post_traces(server, body, path)
        assert response.status_code == 400
        assert f"'{field}'" in response.json()["error"]


def test_content_types_encodings_and_keys(server: InProcessServer):
    run = str(uuid.uuid4())
    auth = {"Authorization": f"Bearer {server.api_key}"}
    compressed = gzip.compress(orjson.dumps(document(chat_span(run))))
    response = server.request(
        "POST",
        "/v1/traces",
        content=compressed,
        headers={**auth, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200 and len(rows_with_property(server, "Run", run, 1)) == 1
    grpc = server.request(
        "POST", "/v1/traces", content=b"", headers={**auth, "Content-Type": "application/grpc"}
    )
    assert grpc.status_code == 415 and "application/json" in grpc.json()["error"]
    junk = server.request(
        "POST",
        "/v1/traces",
        content=b"\xff\x00junk",
        headers={**auth, "Content-Type": "application/x-protobuf"},
    )
    assert junk.status_code == 400 and "protobuf" in junk.json()["error"]
    assert server.request("POST", "/v1/traces", json=document()).status_code == 401
    assert post_traces(server, document(), key="sk-helicone-nope").status_code == 401


def test_trace_log_answers_204_in_the_callers_organization(server: InProcessServer):
    run = str(uuid.uuid4())
    other = server.create_key("otlp-tenant")
    response = post_traces(
        server, document(workflow_span(), chat_span(run)), "/v1/trace/log", key=other
    )
    assert response.status_code == 204 and response.content == b""
    assert "skipped 1 span(s)" in response.headers["helicone-warning"]
    [row] = rows_with_property(server, "Run", run, 1, api_key=other)
    assert row["model"] == "gpt-4o-mini"
    with server.api() as client:
        assert client.get(f"/v1/request/{row['request_id']}").status_code == 404


def test_spans_without_ids_are_rows_of_their_own(server: InProcessServer):
    run = str(uuid.uuid4())
    spans = [chat_span(run), chat_span(run)]
    for item in spans:
        del item["traceId"], item["spanId"]
    assert post_traces(server, document(*spans)).json() == {}
    assert len(rows_with_property(server, "Run", run, 2)) == 2

"""`POST /v1/trace/log-python`: what Helicone's Python async logger posts by default.

`helicone-async`'s `HeliconeAsyncLogger(api_key=..., base_url=...)` builds, in `init()`,
`OTLPSpanExporter(endpoint=base_url, headers={"Authorization": f"Bearer {api_key}"})` (its
`base_url` defaults to Helicone's `/v1/trace/log-python`) and hands it to traceloop with
OpenLLMetry's instrumentations; `set_properties` is traceloop's association properties.
Here that same exporter, pointed at Heliograph, sends OpenLLMetry's real OpenAI spans (the
fixture of test_otlp_openllmetry.py, which adds the association properties).
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from heliograph.mock_provider import FakeProvider
from tests.api.otlp_helpers import rows_with_property
from tests.api.test_otlp_openllmetry import make_calls, traced
from tests.server import HeliographProcess

__all__ = ["traced"]  # the fixture, used by name


def _logger_exporter(server: HeliographProcess, key: str) -> OTLPSpanExporter:
    """HeliconeAsyncLogger.init()'s exporter, with `base_url` set to this server."""
    return OTLPSpanExporter(
        endpoint=server.url + "/v1/trace/log-python",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_async_loggers_export_becomes_rows(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    traced: tuple[Any, str, InMemorySpanExporter],
):
    tracer, run, recorded = traced
    response, _ = make_calls(tracer, fake_provider)
    spans: list[ReadableSpan] = list(recorded.get_finished_spans())
    exporter = _logger_exporter(server, server.api_key)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()

    rows = rows_with_property(server, "Run", run, 2)
    plain = next(row for row in rows if not row["request_body"].get("stream"))
    assert (plain["provider"], plain["model"], plain["response_status"]) == (
        "OPENAI",
        "gpt-4o-mini",
        200,
    )
    assert (plain["prompt_tokens"], plain["completion_tokens"]) == (
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
    )
    assert plain["request_properties"] == {
        "Run": run,
        "Helicone-Session-Id": "session-abc",
        "Helicone-Session-Path": "/abstract",
        "Helicone-Session-Name": "Course Plan",
    }
    assert plain["response_body"]["choices"][0]["message"]["content"] == (
        response.choices[0].message.content
    )


def test_the_answer_is_jawns_empty_200_with_skipped_spans_said(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    traced: tuple[Any, str, InMemorySpanExporter],
):
    tracer, run, recorded = traced
    make_calls(tracer, fake_provider)
    body = encode_spans(recorded.get_finished_spans()).SerializeToString()
    # No Content-Type: Jawn decodes every log-python body as protobuf.
    answer = httpx.post(
        server.url + "/v1/trace/log-python",
        content=body,
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["helicone-warning"] == (
        "skipped 1 span(s) that are not LLM calls (no gen_ai model or LLM operation): "
        "plan_course.workflow"
    )
    assert len(rows_with_property(server, "Run", run, 2)) == 2


def test_bad_bodies_and_keys_are_refused(server: HeliographProcess):
    url = server.url + "/v1/trace/log-python"
    auth = {"Authorization": f"Bearer {server.api_key}"}
    garbage = httpx.post(url, content=b"\xff\x00not protobuf", headers=auth)
    assert garbage.status_code == 400 and garbage.json()["data"] is None
    assert "ExportTraceServiceRequest" in garbage.json()["error"]
    assert httpx.post(url, content=b"").status_code == 401
    wrong = httpx.post(url, content=b"", headers={"Authorization": "Bearer sk-helicone-nope"})
    assert wrong.status_code == 401


def test_rows_belong_to_the_exporting_keys_organization(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    traced: tuple[Any, str, InMemorySpanExporter],
):
    tracer, run, recorded = traced
    make_calls(tracer, fake_provider)
    other = server.create_key("log-python-tenant")
    exporter = _logger_exporter(server, other)
    assert exporter.export(list(recorded.get_finished_spans())) == SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(rows_with_property(server, "Run", run, 2, api_key=other)) == 2
    assert rows_with_property(server, "Run", run, 0) == []  # not the bootstrap key's

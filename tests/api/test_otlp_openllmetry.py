"""Real OpenLLMetry spans, exported by the real OTLP/HTTP (protobuf) exporter.

OpenLLMetry's OpenAI instrumentation (`opentelemetry-instrumentation-openai`, what
traceloop's SDK and Helicone's async logger install) records real calls to the fake
provider; the OpenTelemetry SDK's `OTLPSpanExporter` posts them to `/v1/traces`, as
`Traceloop.init(api_endpoint=..., headers=...)` would.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from heliograph.mock_provider import FakeProvider
from heliograph.usage import Usage
from tests.api.async_log_helpers import catalog_cost
from tests.api.otlp_helpers import rows_with_property
from tests.server import HeliographProcess


class AssociationProperties(SpanProcessor):
    """What `Traceloop.set_association_properties(...)` (Helicone's `set_properties`) adds
    to every span started while it is in effect."""

    def __init__(self, properties: dict[str, str]) -> None:
        self.properties = properties

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for key, value in self.properties.items():
            span.set_attribute(f"traceloop.association.properties.{key}", value)


def _openai_methods() -> dict[tuple[type, str], Any]:
    """Every method of every class in the loaded `openai` modules, to restore after a test."""
    methods: dict[tuple[type, str], Any] = {}
    for name, module in list(sys.modules.items()):
        if name == "openai" or name.startswith("openai."):
            for cls in vars(module).values():
                if isinstance(cls, type) and cls.__module__ == name:
                    methods.update(((cls, key), value) for key, value in vars(cls).items())
    return methods


@pytest.fixture
def traced(fake_provider: FakeProvider) -> Iterator[tuple[Any, str, InMemorySpanExporter]]:
    """A tracer, the run id its spans carry, and the spans recorded so far."""
    run = str(uuid.uuid4())
    spans = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "story-app"}))
    provider.add_span_processor(
        AssociationProperties(
            {
                "Helicone-Session-Id": "session-abc",
                "Helicone-Session-Path": "/abstract",
                "Helicone-Session-Name": "Course Plan",
                "Helicone-Property-Run": run,
            }
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(spans))
    originals = _openai_methods()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield provider.get_tracer("story-app"), run, spans
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
        # uninstrument() leaves legacy `Completions.create` wrapped: restore what it changed,
        # or later tests' completion streams come back without their text.
        for (cls, key), value in originals.items():
            if vars(cls).get(key) is not value:
                setattr(cls, key, value)


def make_calls(tracer: Any, fake_provider: FakeProvider) -> tuple[Any, list[Any]]:
    messages: Any = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Where was it played?"},
    ]
    with openai.OpenAI(base_url=fake_provider.url + "/v1", api_key="k", max_retries=0) as client:
        with tracer.start_as_current_span("plan_course.workflow") as workflow:
            workflow.set_attribute("traceloop.span.kind", "workflow")
            response = client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, user="user-42"
            )
            chunks = list(
                client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            )
    return response, chunks


def test_openllmetry_spans_exported_over_otlp_protobuf(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    traced: tuple[Any, str, InMemorySpanExporter],
):
    tracer, run, recorded = traced
    response, chunks = make_calls(tracer, fake_provider)
    spans: list[ReadableSpan] = list(recorded.get_finished_spans())
    assert len(spans) == 3  # two openai.chat spans and the workflow around them
    exporter = OTLPSpanExporter(
        endpoint=server.url + "/v1/traces",
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()

    rows = rows_with_property(server, "Run", run, 2)
    by_stream = {bool(row["request_body"].get("stream")): row for row in rows}
    plain, streamed = by_stream[False], by_stream[True]
    usage = response.usage
    assert (plain["provider"], plain["model"], plain["response_status"]) == (
        "OPENAI",
        "gpt-4o-mini",
        200,
    )
    assert (plain["prompt_tokens"], plain["completion_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert plain["cost"] == pytest.approx(
        catalog_cost("OPENAI", "gpt-4o-mini", Usage(usage.prompt_tokens, usage.completion_tokens))
    )
    assert plain["request_user_id"] == "user-42"
    assert plain["request_properties"] == {
        "Run": run,
        "Helicone-Session-Id": "session-abc",
        "Helicone-Session-Path": "/abstract",
        "Helicone-Session-Name": "Course Plan",
    }
    assert plain["request_body"]["messages"][1] == {
        "role": "user",
        "content": "Where was it played?",
    }
    assert plain["response_body"]["choices"][0]["message"]["content"] == (
        response.choices[0].message.content
    )
    assert plain["response_body"]["choices"][0]["finish_reason"] == "stop"
    final = chunks[-1].usage
    assert (streamed["prompt_tokens"], streamed["completion_tokens"]) == (
        final.prompt_tokens,
        final.completion_tokens,
    )


def test_protobuf_answer_reports_the_skipped_spans(
    server: HeliographProcess,
    fake_provider: FakeProvider,
    traced: tuple[Any, str, InMemorySpanExporter],
):
    tracer, run, recorded = traced
    make_calls(tracer, fake_provider)
    body = encode_spans(recorded.get_finished_spans()).SerializeToString()
    response = httpx.post(
        server.url + "/v1/traces",
        content=body,
        headers={
            "Authorization": f"Bearer {server.api_key}",
            "Content-Type": "application/x-protobuf",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 0
    assert answer.partial_success.error_message == (
        "skipped 1 span(s) that are not LLM calls (no gen_ai model or LLM operation): "
        "plan_course.workflow"
    )
    assert len(rows_with_property(server, "Run", run, 2)) == 2

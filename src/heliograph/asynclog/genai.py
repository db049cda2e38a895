"""OpenTelemetry GenAI spans (as OpenLLMetry / traceloop sends them) as logged calls.

One LLM span is one row. A span is an LLM call when it names a model
(`gen_ai.request.model` / `gen_ai.response.model`) or an LLM operation
(`llm.request.type`, `gen_ai.operation.name`); workflow, task and tool spans are skipped.
The request and response bodies are rebuilt in OpenAI's chat shape from
`gen_ai.prompt.N.*` / `gen_ai.completion.N.*` (or the newer `gen_ai.input.messages` /
`gen_ai.output.messages`), so the row reads like a proxied chat completion.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import orjson

from heliograph.asynclog.headers import Header
from heliograph.asynclog.otlp import STATUS_ERROR, Span
from heliograph.helicone_headers import HeliconeHeaders
from heliograph.meta.keys import Principal
from heliograph.pipeline.call_record import open_call
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.base import ResponseSummary, as_int, dig
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.providers.sse import SSEEvent

ASSOCIATION_PREFIX = "traceloop.association.properties."
LLM_OPERATIONS = frozenset(
    {"chat", "completion", "text_completion", "generate_content", "embedding", "embeddings"}
)
# gen_ai.system / gen_ai.provider.name values -> Helicone provider names.
PROVIDERS = {
    "openai": "OPENAI",
    "anthropic": "ANTHROPIC",
    "azure": "AZURE",
    "az.ai.openai": "AZURE",
    "azure.ai.openai": "AZURE",
    "aws": "BEDROCK",
    "aws.bedrock": "BEDROCK",
    "bedrock": "BEDROCK",
    "gcp.gemini": "GOOGLE",
    "gcp.vertex_ai": "GOOGLE",
    "gcp.gen_ai": "GOOGLE",
    "gemini": "GOOGLE",
    "google": "GOOGLE",
    "vertexai": "GOOGLE",
    "mistral_ai": "MISTRAL",
    "mistralai": "MISTRAL",
    "x_ai": "X",
    "xai": "X",
    "groq": "GROQ",
    "cohere": "COHERE",
    "deepseek": "DEEPSEEK",
    "perplexity": "PERPLEXITY",
    "together": "TOGETHER",
    "togetherai": "TOGETHER",
    "fireworks": "FIREWORKS",
    "openrouter": "OPENROUTER",
}
# A fixed namespace: the same span (same org, trace and span id) always gets the same
# request id, so an exporter's retry replaces the row instead of adding one.
SPAN_NAMESPACE = uuid.UUID("6d1f0c36-55a4-4a57-9c1e-2b8f3e1f5a10")
REQUEST_SETTINGS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.top_p": "top_p",
}


def is_llm_span(attributes: dict[str, Any]) -> bool:
    if attributes.get("gen_ai.request.model") or attributes.get("gen_ai.response.model"):
        return True
    operation = attributes.get("llm.request.type") or attributes.get("gen_ai.operation.name")
    return operation in LLM_OPERATIONS


def association_headers(attributes: dict[str, Any]) -> list[Header]:
    """`traceloop.association.properties.Helicone-*` attributes as the headers they name."""
    return [
        (key[len(ASSOCIATION_PREFIX) :].encode(), str(value).encode())
        for key, value in attributes.items()
        if key.startswith(ASSOCIATION_PREFIX + "Helicone-") and value is not None
    ]


def provider_of(attributes: dict[str, Any]) -> str:
    system = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    if not isinstance(system, str) or not system:
        return "CUSTOM"
    return PROVIDERS.get(system.lower(), system.upper())


def span_request_id(organization_id: str, span: Span) -> str:
    if not (span.trace_id and span.span_id):  # nothing to tell this span from another
        return str(uuid.uuid4())
    return str(uuid.uuid5(SPAN_NAMESPACE, f"{organization_id}/{span.trace_id}/{span.span_id}"))


def span_call(span: Span, headers: HeliconeHeaders, principal: Principal) -> LoggedCall:
    """The row-ready call of one LLM span; the organization is always the caller's key's."""
    attrs = span.attributes
    request = _request(attrs)
    response = _response(span, attrs)
    status = 200
    if span.status_code == STATUS_ERROR:
        status = as_int(attrs.get("http.response.status_code") or attrs.get("http.status_code"))
        status = status if 100 <= status <= 599 else 500
    api_base = attrs.get("gen_ai.openai.api_base")
    call = open_call(
        headers,
        principal.organization_id,
        principal.key_id or None,
        provider=provider_of(attrs),
        target_url=api_base if isinstance(api_base, str) else "",
        wire=SPAN_FORMAT,
        started_at=span.start_ns / 1e9,
        request_body=orjson.dumps(request),
        request_json=request,
    )
    # A span is identified by its trace and span ids, not by a Helicone-Request-Id.
    call.request_id = span_request_id(principal.organization_id, span)
    call.id_is_new = False
    call.status, call.ended_at = status, span.end_ns / 1e9
    call.response_body = orjson.dumps(response)
    return call


def _request(attrs: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "model": attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model") or "",
        "messages": _messages(attrs, "gen_ai.prompt.", "gen_ai.input.messages"),
    }
    for attribute, key in REQUEST_SETTINGS.items():
        if attrs.get(attribute) is not None:
            request[key] = attrs[attribute]
    if _first(attrs, "gen_ai.is_streaming", "llm.is_streaming") is True:
        request["stream"] = True
    user = _first(attrs, "gen_ai.user", "llm.user", "gen_ai.request.user")
    if isinstance(user, str) and user:
        request["user"] = user  # the RowBuilder's user fallback, as for proxied calls
    return request


def _response(span: Span, attrs: dict[str, Any]) -> dict[str, Any]:
    messages = _messages(attrs, "gen_ai.completion.", "gen_ai.output.messages")
    reasons = attrs.get("gen_ai.response.finish_reasons")
    reasons = reasons if isinstance(reasons, list) else []
    choices = [
        {
            "index": i,
            "message": message,
            "finish_reason": message.pop("finish_reason", None)
            or (reasons[i] if i < len(reasons) else None),
        }
        for i, message in enumerate(messages)
    ]
    prompt = as_int(_first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"))
    completion = as_int(
        _first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    )
    total = _first(attrs, "gen_ai.usage.total_tokens", "llm.usage.total_tokens")
    cache_read = _first(
        attrs, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"
    )
    cache_write = _first(
        attrs,
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    )
    response: dict[str, Any] = {
        "id": attrs.get("gen_ai.response.id") or span.span_id,
        "object": "chat.completion",
        "created": span.start_ns // 1_000_000_000,
        "model": attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or "",
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": as_int(total) or prompt + completion,
            "prompt_tokens_details": {
                "cached_tokens": as_int(cache_read),
                "cache_write_tokens": as_int(cache_write),
            },
            "completion_tokens_details": {
                "reasoning_tokens": as_int(attrs.get("gen_ai.usage.reasoning_tokens")),
            },
        },
    }
    if span.status_code == STATUS_ERROR:
        response["error"] = {"message": span.status_message, "type": attrs.get("error.type")}
    return response


def _first(attrs: dict[str, Any], *names: str) -> Any:
    """The first of these attributes that is set: the GenAI conventions renamed several."""
    return next((attrs[name] for name in names if attrs.get(name) is not None), None)


def _messages(attrs: dict[str, Any], prefix: str, json_attribute: str) -> list[dict[str, Any]]:
    structured = attrs.get(json_attribute)
    if isinstance(structured, str):
        try:
            structured = orjson.loads(structured)
        except orjson.JSONDecodeError:
            structured = None
    if isinstance(structured, list):
        return [_semconv_message(m) for m in structured if isinstance(m, dict)]
    return [_indexed_message(fields) for fields in _indexed(attrs, prefix)]


def _indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """`{prefix}{N}.{field}` attributes grouped by N, in order of N."""
    items: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if key.startswith(prefix):
            index, _, name = key[len(prefix) :].partition(".")
            if index.isdecimal() and name:  # int() refuses "²", which isdigit() accepts
                items.setdefault(int(index), {})[name] = value
    return [items[index] for index in sorted(items)]


def _indexed_message(fields: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": fields.get("role"), "content": fields.get("content")}
    calls = _indexed(fields, "tool_calls.")
    if calls:
        message["tool_calls"] = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {"name": call.get("name"), "arguments": call.get("arguments")},
            }
            for call in calls
        ]
    if fields.get("tool_call_id") is not None:
        message["tool_call_id"] = fields["tool_call_id"]
    if fields.get("finish_reason") is not None:
        message["finish_reason"] = fields["finish_reason"]
    return message


def _semconv_message(raw: dict[str, Any]) -> dict[str, Any]:
    """A `gen_ai.input.messages` / `output.messages` entry: `{role, parts, finish_reason?}`."""
    parts = [p for p in raw.get("parts") or () if isinstance(p, dict)]
    texts = [p.get("content") for p in parts if p.get("type") == "text"]
    message: dict[str, Any] = {
        "role": raw.get("role"),
        "content": "".join(t for t in texts if isinstance(t, str)) if texts else None,
    }
    calls = [p for p in parts if p.get("type") == "tool_call"]
    if calls:
        message["tool_calls"] = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {"name": call.get("name"), "arguments": call.get("arguments")},
            }
            for call in calls
        ]
    if raw.get("finish_reason") is not None:
        message["finish_reason"] = raw["finish_reason"]
    return message


class SpanFormat:
    """OpenAI's wire format, plus the cache-write count the span reported."""

    name = "otel-genai"

    def summarize(self, body: Any) -> ResponseSummary:
        summary = OPENAI_FORMAT.summarize(body)
        written = as_int(dig(body, "usage", "prompt_tokens_details", "cache_write_tokens"))
        if summary.usage is None or not written:
            return summary
        return replace(summary, usage=replace(summary.usage, cache_write_tokens=written))

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        return OPENAI_FORMAT.assemble_stream(events)


SPAN_FORMAT = SpanFormat()

"""Turning an async log's response into what a proxied call's row is built from.

A logged response comes in one of these shapes; streams become SSE bytes so that the
RowBuilder assembles them with the provider's stream assembler, as for proxied streams:

- `providerResponse.json`: the provider's JSON body;
- `providerResponse.json.streamed_data` (Helicone's streaming shape) or `.chunks` (the
  Python manual logger's streaming example): the stream's chunk objects;
- `providerResponse.textBody`: a JSON body as text (`logSingleRequest(JSON.stringify(..))`),
  raw SSE (`data: {...}` lines), newline-separated chunk JSON (what the OpenAI SDKs'
  `toReadableStream()` and the Python example's `"\\n".join(chunk.model_dump_json())` give),
  or plain text, kept as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.asynclog.payload import AsyncLog


@dataclass(frozen=True, slots=True)
class DecodedResponse:
    data: bytes  # a JSON body, plain text, or SSE bytes when is_stream
    is_stream: bool
    parsed: Any = None  # the JSON value of a non-stream body, when it is JSON


def decode_response(log: AsyncLog) -> DecodedResponse:
    if log.text_body:
        return _from_text(log.text_body)
    return _from_json(log.response_json)


def sse(chunks: Iterable[Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks)


def _from_json(value: Any) -> DecodedResponse:
    if isinstance(value, dict):
        chunks = _stream_chunks(value)
        if chunks is not None:
            return DecodedResponse(sse(chunks), True)
    return DecodedResponse(orjson.dumps(value), False, value)


def _stream_chunks(body: dict[str, Any]) -> list[Any] | None:
    streamed = body.get("streamed_data")
    if isinstance(streamed, list):
        return streamed
    chunks = body.get("chunks")
    if isinstance(chunks, list) and chunks and all(isinstance(c, dict) for c in chunks):
        return chunks
    return None


def _from_text(text: str) -> DecodedResponse:
    try:
        return _from_json(orjson.loads(text))
    except orjson.JSONDecodeError:
        pass
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(line.startswith("data:") for line in lines):
        # One event per `data:` line: LLM streams put each JSON chunk on one line, and
        # loggers that re-joined the lines with single newlines lost the blank separators.
        events = [line[5:].strip() for line in lines if line.startswith("data:")]
        return DecodedResponse(b"".join(f"data: {e}\n\n".encode() for e in events), True)
    chunks = []
    for line in lines:
        try:
            chunk = orjson.loads(line)
        except orjson.JSONDecodeError:
            break
        if not isinstance(chunk, dict):
            break
        chunks.append(chunk)
    else:
        if chunks:
            return DecodedResponse(sse(chunks), True)
    return DecodedResponse(text.encode("utf-8", "replace"), False)


def given_cost_usd(log: AsyncLog, response: DecodedResponse) -> float | None:
    """A cost the caller gave: `providerResponse.cost`, else a numeric `usage.cost` in the
    response (OpenRouter's shape, which Helicone also takes as the call's cost)."""
    if log.cost_usd is not None:
        return log.cost_usd
    body = response.parsed
    usage = body.get("usage") if isinstance(body, dict) else None
    cost = usage.get("cost") if isinstance(usage, dict) else None
    if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0:
        return float(cost)
    return None


def custom_model_name(request: Any, response: Any) -> str | None:
    """Helicone's names for the Logger SDK's non-LLM logs: `vector_db`, `tool:<toolName>`,
    `data:<name>`, read from the `_type` of the request, else of the response."""
    for body in (request, response):
        if not isinstance(body, dict):
            continue
        kind = body.get("_type")
        if kind == "vector_db":
            return "vector_db"
        if kind == "tool":
            return _named("tool", body.get("toolName"))
        if kind == "data":
            return _named("data", body.get("name"))
    return None


def _named(kind: str, name: Any) -> str:
    return f"{kind}:{name}" if isinstance(name, str) and name else kind


def ttft_from_body(response: Any) -> float | None:
    """The Python manual logger's streaming example records `time_to_first_token_ms`."""
    if isinstance(response, dict):
        value = response.get("time_to_first_token_ms")
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None

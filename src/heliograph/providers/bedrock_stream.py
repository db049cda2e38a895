"""Bedrock Converse answers in OpenAI's shapes: the JSON answer, errors and the event stream.

ConverseStream answers in AWS's binary event stream (aws_eventstream.py), not SSE. The
`:event-type` header names the Converse event (messageStart, contentBlockStart,
contentBlockDelta, contentBlockStop, messageStop, metadata) whose JSON is the payload;
`:message-type: exception` messages carry a modelled error such as throttlingException.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from heliograph.errors import openai_error_body
from heliograph.providers import openai_shapes as oa
from heliograph.providers.aws_eventstream import EventMessage, EventStreamDecoder, EventStreamError
from heliograph.providers.base import as_int, dig
from heliograph.providers.bedrock import usage_from

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
# Exceptions ConverseStream sends inside the stream, with the HTTP status each has elsewhere.
STREAM_EXCEPTIONS = {
    "validationException": 400,
    "throttlingException": 429,
    "modelStreamErrorException": 424,
    "internalServerException": 500,
    "serviceUnavailableException": 503,
}


def finish_reason(stop_reason: Any) -> str:
    return oa.finish_reason(FINISH_REASONS, stop_reason)


def openai_usage(usage: Any) -> dict[str, Any] | None:
    """OpenAI's usage: Bedrock counts cache reads and writes beside `inputTokens`, OpenAI inside."""
    counted = usage_from(usage)
    if counted is None:
        return None
    details = {
        "cached_tokens": counted.cache_read_tokens,
        "cache_creation_input_tokens": counted.cache_write_tokens,
    }
    return oa.openai_usage(counted.prompt_tokens, counted.completion_tokens, details)


def openai_error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object, by status: Bedrock names the error in a header we don't get."""
    if status == 429:
        kind, code = "rate_limit_error", code or "rate_limit_exceeded"
    elif status in (401, 403):
        kind = "authentication_error"
    elif status == 404:
        kind = "not_found_error"
    elif status >= 500 or status in (408, 424):  # the model timed out or failed
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    return openai_error_body(message, kind, code)


def chat_completion(response: dict[str, Any], model: str) -> dict[str, Any]:
    """An OpenAI `chat.completion` for a Converse response."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in dig(response, "output", "message", "content") or ():
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            use = block["toolUse"]
            arguments = orjson.dumps(use.get("input") or {}).decode()
            calls.append(oa.tool_call(use.get("toolUseId"), use.get("name"), arguments))
        elif isinstance(text := dig(block, "reasoningContent", "reasoningText", "text"), str):
            reasoning.append(text)
    content = "".join(texts) if texts or not calls else None
    reply = oa.assistant_message(content, reasoning, calls)
    choice = oa.choice(reply, finish_reason(response.get("stopReason")))
    usage = openai_usage(response.get("usage"))
    # Converse answers carry no id.
    return oa.chat_completion(f"chatcmpl-{uuid.uuid4().hex}", model, [choice], usage)


class BedrockStream:
    """One ConverseStream event stream in, OpenAI `chat.completion.chunk` SSE out.

    Bedrock sends `messageStop` (the stop reason) before `metadata` (the usage), so the
    finish chunk goes out at the first and the usage chunk at the second.
    """

    def __init__(self, model: str, include_usage: bool) -> None:
        self._include_usage = include_usage
        self._out = oa.ChunkWriter(f"chatcmpl-{uuid.uuid4().hex}", model)
        self._decoder = EventStreamDecoder()
        self._tool_calls: dict[int, int] = {}  # content block index -> OpenAI tool call index
        self._usage: dict[str, Any] | None = None
        self._stopped = False
        self._ended = False

    def feed(self, chunk: bytes) -> bytes:
        out: list[bytes] = []
        if self._ended:
            return b""
        try:
            for message in self._decoder.feed(chunk):
                out.append(self._on(message))
                if self._ended:
                    break
        except EventStreamError as exc:
            out.append(self._fail(502, f"Bedrock's event stream is corrupt: {exc}"))
        return b"".join(out)

    def finish(self) -> bytes:
        out = b""
        if not self._ended:
            if self._stopped:  # only the metadata event was lost; the answer is whole
                self._ended = True
            else:
                out = self._fail(502, "Bedrock's stream ended before the message was complete")
        return out + oa.DONE

    def _on(self, message: EventMessage) -> bytes:
        headers = message.headers
        kind = headers.get(":message-type")
        if kind == "exception":
            name = str(headers.get(":exception-type", "exception"))
            payload = message.json_object()
            text = payload.get("message") or payload.get("Message") or f"Bedrock {name}"
            return self._fail(STREAM_EXCEPTIONS.get(name, 500), str(text), name)
        if kind == "error":
            text = str(headers.get(":error-message", "Bedrock stream error"))
            return self._fail(500, text, str(headers.get(":error-code", "")) or None)
        if kind != "event":
            return b""
        data = message.json_object()
        event = headers.get(":event-type")
        if event == "messageStart":
            return self._out.role()
        if event == "contentBlockStart":
            return self._block_start(as_int(data.get("contentBlockIndex")), data.get("start"))
        if event == "contentBlockDelta":
            return self._delta(as_int(data.get("contentBlockIndex")), data.get("delta"))
        if event == "messageStop":
            self._stopped = True
            out = self._out.finish(finish_reason(data.get("stopReason")))
            return out + self._close() if self._usage is not None else out
        if event == "metadata":
            usage = data.get("usage")
            self._usage = usage if isinstance(usage, dict) else {}
            return self._close() if self._stopped else b""
        return b""  # contentBlockStop, and event types added later

    def _block_start(self, index: int, start: Any) -> bytes:
        use = dig(start, "toolUse")
        if not isinstance(use, dict):
            return b""
        position = self._tool_calls[index] = len(self._tool_calls)
        call = oa.tool_call_start(position, use.get("toolUseId"), use.get("name"))
        return self._out.delta({"tool_calls": [call]})

    def _delta(self, index: int, delta: Any) -> bytes:
        if not isinstance(delta, dict):
            return b""
        if isinstance(delta.get("text"), str) and delta["text"]:
            return self._out.delta({"content": delta["text"]})
        arguments = dig(delta, "toolUse", "input")
        if isinstance(arguments, str) and arguments:
            call = oa.tool_call_arguments(self._tool_calls.get(index, 0), arguments)
            return self._out.delta({"tool_calls": [call]})
        thought = dig(delta, "reasoningContent", "text")
        if isinstance(thought, str) and thought:
            return self._out.delta({"reasoning_content": thought})
        return b""  # reasoning signatures, citations: no OpenAI counterpart

    def _close(self) -> bytes:
        self._ended = True
        if not self._include_usage:
            return b""
        return self._out.usage(openai_usage(self._usage))

    def _fail(self, status: int, message: str, code: str | None = None) -> bytes:
        self._ended = True
        return oa.sse_event(openai_error(status, message, code))

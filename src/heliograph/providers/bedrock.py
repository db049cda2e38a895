"""Bedrock's Converse wire format: model, usage and stream assembly for log rows.

Converse names the model in the path (`/model/{modelId}/converse`), never in the answer.
ConverseStream answers in AWS's binary event stream, not SSE: `assemble_binary` decodes it
into events named by their Converse event type, which `assemble_stream` adds up.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from heliograph.providers.aws_eventstream import EventStreamDecoder, EventStreamError
from heliograph.providers.base import ResponseSummary, as_int, dig
from heliograph.providers.sse import SSEEvent
from heliograph.usage import Usage

_MODEL_IN_PATH = re.compile(r"/model/(.+)/(?:converse|converse-stream)$")


def model_in_path(path: str) -> str | None:
    """The model id a (decoded) Converse path names, or None for any other path."""
    found = _MODEL_IN_PATH.search(path)
    return found.group(1) if found else None


def usage_from(usage: Any) -> Usage | None:
    """Bedrock counts cache reads and writes beside `inputTokens`; they are folded back in."""
    if not isinstance(usage, dict):
        return None
    read = as_int(usage.get("cacheReadInputTokens"))
    write = as_int(usage.get("cacheWriteInputTokens"))
    return Usage(
        prompt_tokens=as_int(usage.get("inputTokens")) + read + write,
        completion_tokens=as_int(usage.get("outputTokens")),
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


class BedrockFormat:
    name = "bedrock"

    def summarize(self, body: Any) -> ResponseSummary:
        if not isinstance(body, dict):
            return ResponseSummary(None, None)
        return ResponseSummary(None, usage_from(body.get("usage")))

    def assemble_stream(self, events: list[SSEEvent]) -> ResponseSummary:
        """A ConverseResponse from ConverseStream's events (`event` names each one)."""
        blocks: dict[int, dict[str, Any]] = {}
        pieces: dict[tuple[int, str], list[str]] = {}  # (block, field) -> text, joined once
        answer: dict[str, Any] = {}
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            index = as_int(data.get("contentBlockIndex"))
            if event.event == "contentBlockStart" and isinstance(
                dig(data, "start", "toolUse"), dict
            ):
                blocks[index] = {"toolUse": dict(data["start"]["toolUse"])}
            elif event.event == "contentBlockDelta" and isinstance(data.get("delta"), dict):
                _add_delta(blocks.setdefault(index, {}), data["delta"], pieces, index)
            elif event.event == "messageStop":
                answer["stopReason"] = data.get("stopReason")
            elif event.event == "metadata":
                answer.update({k: data[k] for k in ("usage", "metrics") if k in data})
        for (index, kind), texts in pieces.items():
            _set_text(blocks[index], kind, "".join(texts))
        content = [block for _, block in sorted(blocks.items())]
        body = {"output": {"message": {"role": "assistant", "content": content}}, **answer}
        return ResponseSummary(None, usage_from(answer.get("usage")), body)

    def assemble_binary(self, data: bytes) -> ResponseSummary | None:
        """A relayed ConverseStream answer, or None when `data` is no AWS event stream."""
        events: list[SSEEvent] = []
        try:
            for message in EventStreamDecoder().feed(data):
                kind = message.headers.get(":event-type") or message.headers.get(":exception-type")
                events.append(SSEEvent(str(kind), message.json_object()))
        except EventStreamError:
            if not events:
                return None  # a cut stream keeps the events that arrived whole
        summary = self.assemble_stream(events)
        body = {**summary.body, "streamed_data": [{e.event: e.data} for e in events]}
        return ResponseSummary(summary.model, summary.usage, body)


def _add_delta(
    block: dict[str, Any],
    delta: dict[str, Any],
    pieces: dict[tuple[int, str], list[str]],
    index: int,
) -> None:
    if isinstance(delta.get("text"), str):
        pieces.setdefault((index, "text"), []).append(delta["text"])
    elif isinstance(arguments := dig(delta, "toolUse", "input"), str):
        pieces.setdefault((index, "toolUse"), []).append(arguments)
    elif isinstance(thought := dig(delta, "reasoningContent", "text"), str):
        pieces.setdefault((index, "reasoningContent"), []).append(thought)


def _set_text(block: dict[str, Any], kind: str, text: str) -> None:
    """A block's joined text as ConverseResponse holds it (tool input parsed as JSON)."""
    if kind == "text":
        block["text"] = text
    elif kind == "toolUse":
        use = block.setdefault("toolUse", {})
        try:
            use["input"] = orjson.loads(text) if text else {}
        except orjson.JSONDecodeError:
            use["input"] = text
    else:
        block["reasoningContent"] = {"reasoningText": {"text": text}}


BEDROCK_FORMAT = BedrockFormat()

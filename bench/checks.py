"""The check calls before load: every system, target and kind answered once, checked by
content.

wrk only counts statuses, so this is where a wrong body (a misconfigured peer's error, an
untranslated Anthropic answer, a stream without `[DONE]`, a leaked usage chunk) fails the
run before anything is measured.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bench.fixtures import ANSWER, COMPLETION_TOKENS, PROMPT_TOKENS, STREAM_CONTENT_CHUNKS
from bench.processes import BenchError
from bench.stack import TARGETS, Call, Stack


def check_responses(stack: Stack) -> int:
    """One call per target and kind; returns how many of them Heliograph served."""
    served = 0
    for target in TARGETS:
        for stream in (False, True):
            what = f"{target} {'stream' if stream else 'completion'} check call"
            # Only the caller going straight to nginx gets the usage-only chunk: Heliograph
            # asked upstream for it and must not pass it on unasked.
            try:
                check_call(stack.call(target, stream), stream, target == "direct", what)
            except BenchError as exc:
                raise stack.heliograph.failure(str(exc)) from None
            served += target != "direct"
    return served


def check_call(call: Call, stream: bool, usage_chunk: bool | None, what: str) -> None:
    """One call made and its answer checked by content; raises BenchError with the body."""
    request = urllib.request.Request(
        call.url, data=call.body.encode(), headers=call.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            content_type = response.headers.get("content-type", "")
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise BenchError(f"{what}: status {exc.code}: {detail}") from None
    except OSError as exc:
        raise BenchError(f"{what} failed: {exc}") from None
    try:
        if stream:
            check_stream(body, content_type, usage_chunk)
        else:
            check_completion(body, content_type)
    except (BenchError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise BenchError(f"{what}: {exc}\n--- body ---\n{body[:1500]}") from None


def check_completion(body: str, content_type: str) -> None:
    """An OpenAI `chat.completion` carrying the canned answer and its token counts."""
    _expect(content_type.startswith("application/json"), f"content type {content_type!r}")
    completion = json.loads(body)
    _expect(completion["object"] == "chat.completion", f"object {completion['object']!r}")
    choice = completion["choices"][0]
    _expect(choice["message"]["content"] == ANSWER, "not the canned answer")
    _expect(choice["finish_reason"] == "stop", f"finish_reason {choice['finish_reason']!r}")
    _expect_usage(completion["usage"])


def check_stream(body: str, content_type: str, usage_chunk: bool | None) -> None:
    """OpenAI `chat.completion.chunk` events with the answer in 20 pieces, then `[DONE]`;
    `usage_chunk`: whether the usage-only chunk must be there (None: either way)."""
    _expect(content_type.startswith("text/event-stream"), f"content type {content_type!r}")
    events = [e.strip() for e in body.split("\n\n") if e.strip()]
    _expect(events[-1] == "data: [DONE]", f"last event {events[-1][:100]!r}, not [DONE]")
    chunks: list[dict[str, Any]] = []
    for event in events[:-1]:
        _expect(event.startswith("data: "), f"not a data event: {event[:100]!r}")
        chunks.append(json.loads(event.removeprefix("data: ")))
    kinds = {chunk["object"] for chunk in chunks}
    _expect(kinds == {"chat.completion.chunk"}, f"objects {sorted(kinds)}")
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    pieces = [d["content"] for d in deltas if d.get("content")]
    _expect(
        len(pieces) == STREAM_CONTENT_CHUNKS and "".join(pieces) == ANSWER,
        f"{len(pieces)} content chunks, not the canned answer in {STREAM_CONTENT_CHUNKS}",
    )
    reasons = [c["choices"][0].get("finish_reason") for c in chunks if c["choices"]]
    _expect("stop" in reasons, f"no finish_reason 'stop' (saw {set(reasons)})")
    usage_only = [c for c in chunks if not c["choices"]]
    if usage_chunk is not None:
        _expect(len(usage_only) == usage_chunk, f"{len(usage_only)} usage-only chunks")
    _expect(len(usage_only) <= 1, f"{len(usage_only)} usage-only chunks")
    if usage_only:
        _expect_usage(usage_only[0]["usage"])


def _expect_usage(usage: dict[str, Any]) -> None:
    counts = (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    expected = (PROMPT_TOKENS, COMPLETION_TOKENS, PROMPT_TOKENS + COMPLETION_TOKENS)
    _expect(counts == expected, f"usage {counts}, expected {expected}")


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise BenchError(problem)

"""Gemini's and Bedrock's wire formats as the log reads them: model, usage, assembled streams."""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.costs.catalog import PriceCatalog
from heliograph.mock_provider.bedrock import event, exception
from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.providers.bedrock import BEDROCK_FORMAT
from heliograph.providers.gemini import GEMINI_FORMAT
from heliograph.providers.gemini_stream import _usage as openai_usage_of_gemini
from heliograph.providers.openai import usage_from as openai_usage_from
from heliograph.providers.sse import parse_events
from heliograph.usage import Usage

GEMINI_USAGE = {
    "promptTokenCount": 30,
    "toolUsePromptTokenCount": 2,
    "cachedContentTokenCount": 10,
    "candidatesTokenCount": 12,
    "thoughtsTokenCount": 5,
    "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 4}],
    "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
}
GEMINI_COUNTED = Usage(
    prompt_tokens=32,
    completion_tokens=17,
    cache_read_tokens=10,
    prompt_audio_tokens=4,
    reasoning_tokens=5,
)


def candidate(*parts: dict[str, Any], finish: str | None = None, index: int = 0) -> Any:
    found: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": index}
    return found | ({"finishReason": finish} if finish else {})


def gemini_chunks() -> list[dict[str, Any]]:
    call = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    return [
        {
            "candidates": [candidate({"text": "Let me", "thought": True})],
            "modelVersion": "gemini-2.5-flash",
            "responseId": "r1",
            "usageMetadata": {"promptTokenCount": 30},
        },
        {"candidates": [candidate({"text": " think.", "thought": True}), candidate(index=1)]},
        {"candidates": [candidate({"text": "Sunny"}), candidate({"text": "Rain"}, index=1)]},
        {"candidates": [candidate({"text": " in Paris."}, call, finish="STOP")]},
        {"candidates": [candidate(finish="MAX_TOKENS", index=1)], "usageMetadata": GEMINI_USAGE},
    ]


def test_gemini_answer_model_and_usage() -> None:
    body = {"candidates": [candidate({"text": "Hi"})], "modelVersion": "gemini-2.0-flash-001"}
    summary = GEMINI_FORMAT.summarize({**body, "usageMetadata": GEMINI_USAGE})
    assert (summary.model, summary.usage) == ("gemini-2.0-flash-001", GEMINI_COUNTED)
    assert GEMINI_FORMAT.summarize(body).usage is None
    assert GEMINI_FORMAT.summarize("not an answer").usage is None


def test_the_unified_gateway_counts_gemini_usage_the_same_way() -> None:
    assert openai_usage_from(openai_usage_of_gemini(GEMINI_USAGE)) == GEMINI_COUNTED


def test_gemini_stream_adds_up_to_one_answer() -> None:
    raw = b"".join(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n" for chunk in gemini_chunks())
    summary = GEMINI_FORMAT.assemble_stream(parse_events(raw))
    assert (summary.model, summary.usage) == ("gemini-2.5-flash", GEMINI_COUNTED)
    call = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    assert summary.body == {
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
        "usageMetadata": GEMINI_USAGE,
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Let me think.", "thought": True},
                        {"text": "Sunny in Paris."},
                        call,
                    ],
                },
                "index": 0,
                "finishReason": "STOP",
            },
            {
                "content": {"role": "model", "parts": [{"text": "Rain"}]},
                "index": 1,
                "finishReason": "MAX_TOKENS",
            },
        ],
    }
    # Without `alt=sse` the same chunks come as one JSON array.
    assert GEMINI_FORMAT.summarize(gemini_chunks()) == summary


def test_bedrock_answer_usage_folds_cache_counts_in() -> None:
    usage = {
        "inputTokens": 20,
        "outputTokens": 9,
        "cacheReadInputTokens": 100,
        "cacheWriteInputTokens": 8,
    }
    summary = BEDROCK_FORMAT.summarize({"output": {}, "stopReason": "end_turn", "usage": usage})
    assert summary.model is None  # Converse answers never name it: the path does
    assert summary.usage == Usage(
        prompt_tokens=128, completion_tokens=9, cache_read_tokens=100, cache_write_tokens=8
    )


def converse_stream() -> list[bytes]:
    tool = {"toolUse": {"toolUseId": "t1", "name": "get_weather"}}
    return [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Sunny"}}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " today."}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("contentBlockStart", {"contentBlockIndex": 1, "start": tool}),
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city":'}}},
        ),
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ' "Paris"}'}}},
        ),
        event("messageStop", {"stopReason": "tool_use"}),
        event(
            "metadata",
            {"usage": {"inputTokens": 11, "outputTokens": 7}, "metrics": {"latencyMs": 5}},
        ),
    ]


def test_bedrock_event_stream_adds_up_to_a_converse_answer() -> None:
    summary = BEDROCK_FORMAT.assemble_binary(b"".join(converse_stream()))
    assert summary is not None
    assert summary.usage == Usage(prompt_tokens=11, completion_tokens=7)
    tool = {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}
    body = dict(summary.body)
    streamed = body.pop("streamed_data")
    assert body == {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"text": "Sunny today."}, {"toolUse": tool}],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 11, "outputTokens": 7},
        "metrics": {"latencyMs": 5},
    }
    assert [next(iter(item)) for item in streamed][:2] == ["messageStart", "contentBlockDelta"]


def test_a_cut_or_foreign_bedrock_stream() -> None:
    frames = converse_stream()
    cut = b"".join(frames[:3]) + frames[3][:10]
    summary = BEDROCK_FORMAT.assemble_binary(cut)
    assert summary is not None and summary.usage is None
    assert summary.body["output"]["message"]["content"] == [{"text": "Sunny today."}]
    failed = BEDROCK_FORMAT.assemble_binary(exception("throttlingException", "Too many"))
    assert failed is not None and failed.body["streamed_data"] == [
        {"throttlingException": {"message": "Too many"}}
    ]
    assert BEDROCK_FORMAT.assemble_binary(b"<html>Bad gateway</html>") is None


def test_a_relayed_event_stream_gets_a_row_with_tokens_and_cost() -> None:
    call = LoggedCall(
        request_id="00000000-0000-4000-8000-000000000001",
        organization_id="org",
        provider="BEDROCK",
        target_url="https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse-stream",
        wire=BEDROCK_FORMAT,
        started_at=1.0,
        request_body=b"{}",
        request_json={},
        status=200,
        ended_at=2.0,
        response_body=b"".join(converse_stream()),
        model_override="anthropic.claude-3-5-sonnet-20240620-v1:0",
    )
    row = orjson.loads(RowBuilder(PriceCatalog.load_default()).build(call).line)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (11, 7)
    assert row["cost"] > 0
    assert orjson.loads(row["response_body"])["stopReason"] == "tool_use"

"""The fake provider speaking Google Gemini's generativelanguage v1beta wire format."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from heliograph.mock_provider import FakeProvider, gemini
from heliograph.mock_provider.generation import sentence

KEY = {"x-goog-api-key": "AIza-fake"}
MODEL = "/v1beta/models/gemini-2.5-flash"
# "Be brief." + "Hello there": 20 characters, 20 // 4 + 1 = 6 prompt tokens.
BODY: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "contents": [{"role": "user", "parts": [{"text": "Hello there"}]}],
}
WEATHER = {
    "functionDeclarations": [
        {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "OBJECT",
                "properties": {
                    "city": {"type": "STRING"},
                    "days": {"type": "integer"},
                    "metric": {"type": "boolean"},
                },
            },
        },
        {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    ]
}
TOOL_BODY: dict[str, Any] = {
    "contents": [{"role": "user", "parts": [{"text": "call a tool"}]}],
    "tools": [WEATHER],
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def http(fake: FakeProvider) -> Iterator[httpx.Client]:
    fake.reset()
    with httpx.Client(base_url=fake.url) as client:
        yield client


def act(items: str) -> dict[str, str]:
    return {**KEY, "x-fake-behaviour": items}


def sse_chunks(raw: bytes) -> list[dict[str, Any]]:
    """The JSON of each SSE event, checking Google's framing on the way."""
    assert raw.endswith(b"\r\n\r\n")
    events = raw[:-4].split(b"\r\n\r\n")
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    return [orjson.loads(e[6:]) for e in events]


def test_generate_content(http: httpx.Client) -> None:
    response = http.post(f"{MODEL}:generateContent", json=BODY, headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    answer = response.json()
    assert answer["candidates"] == [
        {
            "content": {"parts": [{"text": sentence(20).text}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
    ]
    assert answer["usageMetadata"] == {
        "promptTokenCount": 6,
        "candidatesTokenCount": 20,
        "totalTokenCount": 26,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 6}],
    }
    assert answer["modelVersion"] == "gemini-2.5-flash"
    assert re.fullmatch(r"[\w-]{22}", answer["responseId"])


def test_cached_and_thought_tokens(http: httpx.Client) -> None:
    response = http.post(
        f"{MODEL}:generateContent",
        json=BODY,
        headers=act("words=4,cached_tokens=5,reasoning_tokens=7"),
    )
    usage = response.json()["usageMetadata"]
    assert usage["promptTokenCount"] == 11  # cached tokens count inside the prompt
    assert usage["cachedContentTokenCount"] == 5
    assert usage["candidatesTokenCount"] == 4
    assert usage["thoughtsTokenCount"] == 7  # beside the candidates, inside the total
    assert usage["totalTokenCount"] == 22


def test_max_output_tokens_cuts_the_reply(http: httpx.Client) -> None:
    body = {**BODY, "generationConfig": {"maxOutputTokens": 3}}
    [candidate] = http.post(f"{MODEL}:generateContent", json=body, headers=KEY).json()["candidates"]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert candidate["content"]["parts"] == [{"text": "The heliograph flashes"}]


def test_candidate_count(http: httpx.Client) -> None:
    body = {**BODY, "generationConfig": {"candidateCount": 2}}
    answer = http.post(f"{MODEL}:generateContent", json=body, headers=act("words=3")).json()
    assert [c["index"] for c in answer["candidates"]] == [0, 1]
    assert answer["usageMetadata"]["candidatesTokenCount"] == 6


def test_stream_sse_wire_format(http: httpx.Client) -> None:
    response = http.post(
        f"{MODEL}:streamGenerateContent",
        params={"alt": "sse"},
        json=BODY,
        headers=act("words=5,chunks=3,reasoning_tokens=2"),
    )
    assert response.headers["content-type"] == "text/event-stream"
    # Google's spacing: a space after colons, none after commas.
    assert response.content.startswith(b'data: {"candidates": [{"content": {"parts": [{"text": ')
    chunks = sse_chunks(response.content)
    texts = [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks]
    assert texts == ["The", " heliograph flashes", " sunlight across."]
    assert [c["candidates"][0].get("finishReason") for c in chunks] == [None, None, "STOP"]
    assert [c["usageMetadata"]["candidatesTokenCount"] for c in chunks] == [1, 3, 5]
    assert chunks[-1]["usageMetadata"]["totalTokenCount"] == 6 + 5 + 2
    assert len({c["responseId"] for c in chunks}) == 1


def test_stream_without_alt_sse_is_a_json_array(http: httpx.Client) -> None:
    response = http.post(
        f"{MODEL}:streamGenerateContent", json=BODY, headers=act("words=2,chunks=2")
    )
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    chunks = response.json()
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks] == [
        "The",
        " heliograph.",
    ]


def test_cut_stream_drops_the_connection(http: httpx.Client) -> None:
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream(
            "POST",
            f"{MODEL}:streamGenerateContent?alt=sse",
            json=BODY,
            headers=act("chunks=4,cut_after=2"),
        ) as response,
    ):
        for piece in response.iter_bytes():
            received += piece
    chunks = sse_chunks(received)
    assert len(chunks) == 2
    assert all("finishReason" not in c["candidates"][0] for c in chunks)


def test_key_in_the_query_works(http: httpx.Client, fake: FakeProvider) -> None:
    response = http.post(f"{MODEL}:generateContent", params={"key": "AIza-q"}, json=BODY)
    assert response.status_code == 200
    assert fake.calls[-1].query == "key=AIza-q"


def test_missing_key_is_refused_as_google_does(http: httpx.Client) -> None:
    response = http.post(f"{MODEL}:generateContent", json=BODY)
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": 403, "message": gemini.MISSING_KEY_MESSAGE, "status": "PERMISSION_DENIED"}
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "INVALID_ARGUMENT"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
    ],
)
def test_errors_in_google_shape(http: httpx.Client, status: int, kind: str) -> None:
    for method in ("generateContent", "streamGenerateContent?alt=sse"):
        response = http.post(f"{MODEL}:{method}", json=BODY, headers=act(f"status={status}"))
        assert response.status_code == status
        error = response.json()["error"]
        assert (error["code"], error["status"]) == (status, kind)
        assert error["message"]
        if status == 429:
            assert error["details"][0]["retryDelay"] == "1s"


def test_bad_requests_get_google_errors(http: httpx.Client) -> None:
    response = http.post(f"{MODEL}:generateContent", content=b"{not json", headers=KEY)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    response = http.post(f"{MODEL}:generateContent", json=BODY, headers=act("stauts=1"))
    assert response.status_code == 400
    assert "stauts" in response.json()["error"]["message"]


def test_function_call(http: httpx.Client) -> None:
    answer = http.post(f"{MODEL}:generateContent", json=TOOL_BODY, headers=KEY).json()
    [candidate] = answer["candidates"]
    [part] = candidate["content"]["parts"]
    call = {"name": "get_weather", "args": {"city": "heliograph", "days": 1, "metric": True}}
    assert part["functionCall"] == call
    assert part["thoughtSignature"]
    assert candidate["finishReason"] == "STOP"  # Gemini has no tool-call finish reason
    tokens = len(orjson.dumps(call)) // 4 + 1
    assert answer["usageMetadata"]["candidatesTokenCount"] == tokens


def test_function_calling_config(http: httpx.Client) -> None:
    def answer(config: dict[str, Any]) -> dict[str, Any]:
        body = {**TOOL_BODY, "toolConfig": {"functionCallingConfig": config}}
        response = http.post(f"{MODEL}:generateContent", json=body, headers=act("words=2"))
        parts: list[dict[str, Any]] = response.json()["candidates"][0]["content"]["parts"]
        return parts[0]

    allowed = answer({"mode": "ANY", "allowedFunctionNames": ["get_time"]})
    assert allowed["functionCall"] == {"name": "get_time", "args": {}}
    assert answer({"mode": "NONE"}) == {"text": sentence(2).text}


def test_function_call_stream_is_one_chunk(http: httpx.Client) -> None:
    response = http.post(f"{MODEL}:streamGenerateContent?alt=sse", json=TOOL_BODY, headers=KEY)
    [chunk] = sse_chunks(response.content)
    assert chunk["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "get_weather"
    assert chunk["candidates"][0]["finishReason"] == "STOP"


def test_gemini_3_wants_the_thought_signature_back(http: httpx.Client) -> None:
    url = "/v1beta/models/gemini-3-flash-preview:generateContent"
    call = {"functionCall": {"name": "get_weather", "args": {}}}
    result = {"functionResponse": {"name": "get_weather", "response": {"temp": 20}}}

    def status(call_part: dict[str, Any], model_url: str = url) -> int:
        contents = [
            {"role": "user", "parts": [{"text": "weather?"}]},
            {"role": "model", "parts": [call_part]},
            {"role": "user", "parts": [result]},
        ]
        body = {"contents": contents, "tools": [WEATHER]}
        return http.post(model_url, json=body, headers=KEY).status_code

    assert status(call) == 400
    assert status({**call, "thoughtSignature": "c2ln"}) == 200
    assert status({**call, "thoughtSignature": gemini.SKIP_SIGNATURE}) == 200
    assert status(call, f"{MODEL}:generateContent") == 200  # Gemini 2.5 lets it pass


def test_echo(http: httpx.Client) -> None:
    body = {"contents": [{"parts": [{"text": "echo"}]}]}
    answer = http.post(f"{MODEL}:generateContent", json=body, headers=KEY).json()
    echoed = orjson.loads(answer["candidates"][0]["content"]["parts"][0]["text"])
    assert echoed["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert echoed["headers"]["x-goog-api-key"] == "AIza-fake"
    assert echoed["body"] == body


def test_count_tokens(http: httpx.Client) -> None:
    response = http.post(f"{MODEL}:countTokens", json=BODY, headers=KEY)
    assert response.json()["totalTokens"] == 6
    wrapped = {"generateContentRequest": {"model": "models/gemini-2.5-flash", **BODY}}
    assert http.post(f"{MODEL}:countTokens", json=wrapped, headers=KEY).json()["totalTokens"] == 6


def test_routes_are_documented() -> None:
    readme = (Path(gemini.__file__).parent / "README.md").read_text()
    paths = [route.path for route in gemini.routes if isinstance(route, web.RouteDef)]
    assert len(paths) == 3
    for path in paths:
        assert f"`POST {path.replace(gemini.MODEL_PATH, '/v1beta/models/{model}')}`" in readme

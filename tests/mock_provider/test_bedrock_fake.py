"""The fake provider speaking AWS Bedrock's Converse API, as botocore itself reads it."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import orjson
import pytest
from aiohttp import web
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError

from heliograph.mock_provider import FakeProvider, bedrock
from heliograph.mock_provider.generation import prompt_tokens, sentence

MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"
CONVERSE = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
STREAM = CONVERSE + "-stream"
# Any SigV4-looking header will do: the fake checks the scheme, not the signature.
SIGNED = {
    "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/"
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}
BODY: dict[str, Any] = {
    "system": [{"text": "Be brief."}],
    "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
}
BASE = prompt_tokens(["Be brief.", "Hello there"])  # 20 characters: 6 tokens
WEATHER_TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "The weather in a city",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                    }
                },
            }
        },
        {"toolSpec": {"name": "get_time", "inputSchema": {"json": {"type": "object"}}}},
    ]
}
TOOL_BODY: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "call a tool"}]}],
    "toolConfig": WEATHER_TOOLS,
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


@pytest.fixture
def client(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """botocore's bedrock-runtime client aimed at the fake, blind to the developer's AWS setup."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    return botocore.session.Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=fake.url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )


def behave(client: Any, items: str) -> None:
    """Make a botocore client send `x-fake-behaviour: items` (signed with the rest)."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-fake-behaviour"] = items

    client.meta.events.register("before-sign.bedrock-runtime.*", add_header)


def act(items: str) -> dict[str, str]:
    return {**SIGNED, "x-fake-behaviour": items}


def messages_of(raw: bytes) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(headers, JSON payload) of each event-stream message, decoded and CRC-checked by botocore."""
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [(dict(message.headers), orjson.loads(message.payload)) for message in buffer]


def test_converse(http: httpx.Client) -> None:
    response = http.post(CONVERSE, json=BODY, headers=SIGNED)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert len(response.headers["x-amzn-requestid"]) == 36
    answer = response.json()
    assert answer["metrics"]["latencyMs"] >= 1
    del answer["metrics"]
    assert answer == {
        "output": {"message": {"content": [{"text": sentence(20).text}], "role": "assistant"}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": BASE, "outputTokens": 20, "totalTokens": BASE + 20},
    }


def test_cache_tokens_are_reported_beside_the_input(http: httpx.Client) -> None:
    response = http.post(CONVERSE, json=BODY, headers=act("words=4,cache_read=10,cache_write=3"))
    assert response.json()["usage"] == {
        "inputTokens": BASE,
        "outputTokens": 4,
        "totalTokens": BASE + 4 + 13,
        "cacheReadInputTokens": 10,
        "cacheWriteInputTokens": 3,
    }


def test_max_tokens_cuts_the_reply(http: httpx.Client) -> None:
    body = {**BODY, "inferenceConfig": {"maxTokens": 3, "temperature": 0.5}}
    answer = http.post(CONVERSE, json=body, headers=SIGNED).json()
    assert answer["stopReason"] == "max_tokens"
    assert answer["output"]["message"]["content"] == [{"text": "The heliograph flashes"}]
    assert answer["usage"]["outputTokens"] == 3


def test_the_stream_is_framed_as_aws_frames_it(http: httpx.Client) -> None:
    response = http.post(STREAM, json=BODY, headers=act("chunks=4,words=9,cache_read=2"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    messages = messages_of(response.content)
    kinds = [headers.pop(":event-type") for headers, _ in messages]
    assert all(
        h == {":content-type": "application/json", ":message-type": "event"} for h, _ in messages
    )
    assert kinds == ["messageStart"] + ["contentBlockDelta"] * 4 + [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    payloads = [payload for _, payload in messages]
    assert all(set(p["p"]) <= set(bedrock.PADDING) and p.pop("p") for p in payloads)
    assert payloads[0] == {"role": "assistant"}
    assert "".join(p["delta"]["text"] for p in payloads[1:5]) == sentence(9).text
    assert all(p["contentBlockIndex"] == 0 for p in payloads[1:6])
    assert payloads[6] == {"stopReason": "end_turn"}
    assert payloads[7]["usage"] == {
        "inputTokens": BASE,
        "outputTokens": 9,
        "totalTokens": BASE + 11,
        "cacheReadInputTokens": 2,
        "cacheWriteInputTokens": 0,
    }
    assert payloads[7]["metrics"]["latencyMs"] >= 1


def test_frames_carry_both_crcs() -> None:
    raw = bedrock.frame({":event-type": "x"}, b"{}")
    total, headers_length, prelude_crc = struct.unpack("!III", raw[:12])
    assert (total, headers_length) == (len(raw), 1 + 11 + 1 + 2 + 1)
    assert prelude_crc == zlib.crc32(raw[:8])
    assert struct.unpack("!I", raw[-4:])[0] == zlib.crc32(raw[:-4])


def test_an_exception_message() -> None:
    [(headers, payload)] = messages_of(bedrock.exception("throttlingException", "Slow down."))
    assert headers == {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert payload == {"message": "Slow down."}


def test_cut_after_drops_the_connection_mid_stream(fake: FakeProvider) -> None:
    raw = b""
    headers = act("chunks=5,cut_after=2")
    with pytest.raises(httpx.RemoteProtocolError), httpx.Client(base_url=fake.url) as http:
        with http.stream("POST", STREAM, json=BODY, headers=headers) as response:
            for piece in response.iter_raw():
                raw += piece
    kinds = [headers[":event-type"] for headers, _ in messages_of(raw)]
    assert kinds == ["messageStart", "contentBlockDelta", "contentBlockDelta"]


def test_botocore_reads_the_answer(client: Any) -> None:
    answer = client.converse(
        modelId=MODEL_ID,
        system=[{"text": "Be brief."}],
        messages=[{"role": "user", "content": [{"text": "Hello there"}]}],
        inferenceConfig={"maxTokens": 5},
    )
    assert answer["output"]["message"]["content"] == [{"text": sentence(20).limited(5).text}]
    assert answer["stopReason"] == "max_tokens"
    assert answer["usage"] == {"inputTokens": BASE, "outputTokens": 5, "totalTokens": BASE + 5}


def test_botocore_reads_the_stream(client: Any, fake: FakeProvider) -> None:
    behave(client, "chunks=3,words=6")
    answer = client.converse_stream(
        modelId=MODEL_ID, messages=[{"role": "user", "content": [{"text": "Hello there"}]}]
    )
    events = list(answer["stream"])
    assert [next(iter(e)) for e in events] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events[1:4])
    assert text == sentence(6).text
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 6
    # botocore signs the URL with the model id percent-encoded once, as Bedrock expects it.
    assert fake.calls[-1].path == f"/model/{MODEL_ID}/converse-stream"
    assert fake.calls[-1].headers["authorization"].startswith(bedrock.AUTH_PREFIX)


def test_botocore_reads_a_tool_call_stream(client: Any) -> None:
    answer = client.converse_stream(
        modelId=MODEL_ID, messages=TOOL_BODY["messages"], toolConfig=WEATHER_TOOLS
    )
    events = list(answer["stream"])
    start = events[1]["contentBlockStart"]["start"]["toolUse"]
    assert start["name"] == "get_weather"
    assert start["toolUseId"].startswith("tooluse_")
    arguments = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events[2:4])
    assert orjson.loads(arguments) == {"city": "heliograph", "days": 1}
    assert events[5]["messageStop"]["stopReason"] == "tool_use"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ValidationException"),
        (429, "ThrottlingException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_botocore_reads_the_errors(client: Any, status: int, code: str) -> None:
    behave(client, f"status={status}")
    with pytest.raises(ClientError) as raised:
        client.converse(modelId=MODEL_ID, messages=BODY["messages"])
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_tool_call(http: httpx.Client) -> None:
    answer = http.post(CONVERSE, json=TOOL_BODY, headers=SIGNED).json()
    [block] = answer["output"]["message"]["content"]
    use = block["toolUse"]
    assert (use["name"], use["input"]) == ("get_weather", {"city": "heliograph", "days": 1})
    assert answer["stopReason"] == "tool_use"
    assert answer["usage"]["outputTokens"] == prompt_tokens(['{"city":"heliograph","days":1}'])


def test_tool_choice_names_the_tool(http: httpx.Client) -> None:
    config = {**WEATHER_TOOLS, "toolChoice": {"tool": {"name": "get_time"}}}
    answer = http.post(CONVERSE, json={**TOOL_BODY, "toolConfig": config}, headers=SIGNED).json()
    assert answer["output"]["message"]["content"][0]["toolUse"]["name"] == "get_time"
    assert answer["output"]["message"]["content"][0]["toolUse"]["input"] == {}


def test_a_request_without_sigv4_is_refused(http: httpx.Client) -> None:
    for headers in ({}, {"authorization": "Bearer sk-abc"}):
        response = http.post(CONVERSE, json=BODY, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}
        assert response.headers["x-amzn-errortype"].startswith(
            "MissingAuthenticationTokenException:"
        )


def test_errors_have_bedrocks_shape(http: httpx.Client) -> None:
    response = http.post(STREAM, json=BODY, headers=act("status=429"))
    assert response.status_code == 429  # before any event: a JSON body, not a stream
    assert response.json() == {"message": "Too many requests, please wait before trying again."}
    assert response.headers["x-amzn-errortype"].startswith("ThrottlingException:")
    bad = http.post(CONVERSE, content=b"{nope", headers=SIGNED)
    assert (bad.status_code, bad.json()) == (400, {"message": bedrock.INVALID_JSON_MESSAGE})


def turn(role: str, *blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": role, "content": list(blocks)}


HI = {"text": "Hi"}
USE = {"toolUse": {"toolUseId": "t1", "name": "get_time", "input": {}}}


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], bedrock.NO_MESSAGES),
        ([turn("assistant", HI)], bedrock.FIRST_NOT_USER),
        ([turn("user", HI), turn("user", HI)], bedrock.NOT_ALTERNATING),
        ([turn("user", HI), turn("system", HI)], bedrock.NOT_ALTERNATING),
        ([turn("user")], bedrock.EMPTY_CONTENT.format(i=0)),
        ([turn("user", HI, {"text": " "})], bedrock.BLANK_TEXT.format(i=0, j=1)),
        ([turn("user", HI), turn("assistant", USE)], bedrock.NO_TOOL_CONFIG),
    ],
)
def test_conversations_bedrock_refuses(
    http: httpx.Client, messages: list[Any], message: str
) -> None:
    response = http.post(CONVERSE, json={"messages": messages}, headers=SIGNED)
    assert (response.status_code, response.json()) == (400, {"message": message})


def test_echo(http: httpx.Client) -> None:
    body = {"messages": [turn("user", {"text": "echo"})]}
    answer = http.post(CONVERSE, json=body, headers=SIGNED).json()
    echoed = orjson.loads(answer["output"]["message"]["content"][0]["text"])
    assert echoed["path"] == f"/model/{MODEL_ID}/converse"
    assert echoed["body"] == body


def test_routes_are_documented() -> None:
    readme = (Path(bedrock.__file__).parent / "README.md").read_text()
    paths = [route.path for route in bedrock.routes if isinstance(route, web.RouteDef)]
    assert len(paths) == 2
    for path in paths:
        assert f"`POST {path.replace(bedrock.MODEL_PATH, '/model/{modelId}')}`" in readme

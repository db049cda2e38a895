"""The fake provider as the real OpenAI and Anthropic SDKs see it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import orjson
import pytest

from heliograph.mock_provider import FakeProvider, behaviour
from heliograph.mock_provider.generation import sentence

PACKAGE = "heliograph.mock_provider"
HELLO = [{"role": "user", "content": "Hello there"}]  # 11 characters: 11 // 4 + 1 = 3 tokens
DEFAULT_TEXT = sentence(20).text


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture(autouse=True)
def _fresh(fake: FakeProvider) -> None:
    fake.reset()


@pytest.fixture
def oai(fake: FakeProvider) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{fake.url}/v1", api_key="sk-fake", max_retries=0) as client:
        yield client


@pytest.fixture
def claude(fake: FakeProvider) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=fake.url, api_key="sk-ant-fake", max_retries=0) as client:
        yield client


@pytest.fixture
def http(fake: FakeProvider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url) as client:
        yield client


def act(items: str, **extra: str) -> dict[str, str]:
    """Request headers asking the fake for behaviour `items`."""
    return {"x-fake-behaviour": items, **extra}


# OpenAI chat completions


def test_chat_completion(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    assert completion.system_fingerprint
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", DEFAULT_TEXT)
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.model_dump(exclude_none=True) == {
        "prompt_tokens": 3,
        "completion_tokens": 20,
        "total_tokens": 23,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def test_chat_cached_and_reasoning_tokens_count_inside_the_totals(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="o3-mini",
        messages=HELLO,
        extra_headers=act("cached_tokens=5,reasoning_tokens=7,words=4"),
    )
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (8, 11, 19)
    assert usage.prompt_tokens_details.cached_tokens == 5
    assert usage.completion_tokens_details.reasoning_tokens == 7


def test_chat_max_tokens_cuts_the_reply(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "The heliograph flashes"


def test_chat_stream_has_no_usage_chunk_unless_asked(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True, extra_headers=act("chunks=5")
        )
    )
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    content = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert len(content) == 5
    assert "".join(c or "" for c in content) == DEFAULT_TEXT
    assert len({chunk.id for chunk in chunks}) == 1


def test_chat_stream_usage_chunk_with_include_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=act("words=6,chunks=3,cached_tokens=2"),
        )
    )
    *body, last = chunks
    assert all(chunk.usage is None for chunk in body)
    assert last.choices == []
    assert last.usage is not None and last.usage.prompt_tokens_details
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (5, 6)
    assert last.usage.prompt_tokens_details.cached_tokens == 2
    assert "".join(c.choices[0].delta.content or "" for c in body) == sentence(6).text


def test_chat_stream_wire_format(http: httpx.Client) -> None:
    body = {"model": "m", "messages": HELLO, "stream": True}
    response = http.post("/v1/chat/completions", json=body, headers=act("words=2,chunks=2"))
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    frames = [orjson.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert [f["choices"][0]["delta"] for f in frames] == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "The"},
        {"content": " heliograph."},
        {},
    ]
    assert all("usage" not in f and f["obfuscation"] for f in frames)


def test_chunk_delay_paces_the_stream(oai: openai.OpenAI) -> None:
    started = time.perf_counter()
    stream = oai.chat.completions.create(
        model="m", messages=HELLO, stream=True, extra_headers=act("chunks=4,chunk_delay_ms=50")
    )
    assert len(list(stream)) == 6
    assert time.perf_counter() - started >= 0.15


# OpenAI legacy completions, embeddings, models


def test_legacy_completion_stops_at_16_tokens_by_default(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi")
    assert completion.object == "text_completion"
    assert completion.choices[0].text == "".join(sentence(20).words[:16])
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 16)


def test_legacy_completion_stream(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.completions.create(
            model="gpt-3.5-turbo-instruct",
            prompt="Say hi",
            max_tokens=50,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == DEFAULT_TEXT
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 20


def test_embeddings_in_both_encodings(oai: openai.OpenAI) -> None:
    # The SDK asks for base64 unless told otherwise and decodes it back to floats (but hands
    # back the string when the caller asked for base64 explicitly).
    default = oai.embeddings.create(model="text-embedding-3-small", input=["a b", "cdefgh"])
    assert [len(e.embedding) for e in default.data] == [1536, 1536]
    assert default.usage.prompt_tokens == 9 // 4 + 1
    b64 = oai.embeddings.create(model="m", input="x", dimensions=8)
    floats = oai.embeddings.create(model="m", input="x", dimensions=8, encoding_format="float")
    assert len(floats.data[0].embedding) == 8
    assert b64.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)


def test_models(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    assert "gpt-4o-mini" in [m.id for m in oai.models.list()]
    assert all(m.id.startswith("claude-") for m in claude.models.list())


# Anthropic messages


def test_message(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="claude-test",
        max_tokens=1024,
        system="Be brief.",  # 9 + 11 characters: 20 // 4 + 1 = 6 tokens
        messages=HELLO,
        extra_headers=act("cache_read=100,cache_write=50"),
    )
    assert message.id.startswith("msg_")
    assert message.model == "claude-test"
    assert message.stop_reason == "end_turn"
    assert [block.model_dump() for block in message.content] == [
        {"type": "text", "text": DEFAULT_TEXT, "citations": None}
    ]
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (6, 20)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (100, 50)


def test_message_stream_event_sequence(claude: anthropic.Anthropic) -> None:
    events = list(
        claude.messages.create(
            model="claude-test",
            max_tokens=1024,
            messages=HELLO,
            stream=True,
            extra_headers=act("chunks=3"),
        )
    )
    assert [e.type for e in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]  # the SDK drops ping events


def test_message_stream_final_message_has_usage(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-test",
        max_tokens=1024,
        messages=HELLO,
        extra_headers=act("words=7,cache_read=3"),
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == sentence(7).text
    assert final.content[0].type == "text" and final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (3, 7)
    assert final.usage.cache_read_input_tokens == 3


def test_message_max_tokens(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model="c", max_tokens=2, messages=HELLO)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 2


# Errors and broken responses


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_openai_errors(oai: openai.OpenAI, status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        oai.chat.completions.create(
            model="m", messages=HELLO, extra_headers=act(f"status={status}")
        )
    assert isinstance(raised.value, openai.APIStatusError)
    assert raised.value.status_code == status
    assert set(raised.value.response.json()["error"]) == {"message", "type", "param", "code"}
    if status == 429:
        assert raised.value.response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (529, anthropic.OverloadedError),
    ],
)
def test_anthropic_errors(claude: anthropic.Anthropic, status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        claude.messages.create(
            model="c", max_tokens=10, messages=HELLO, extra_headers=act(f"status={status}")
        )
    assert isinstance(raised.value, anthropic.APIStatusError)
    body = raised.value.response.json()
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}


def test_errors_come_before_a_stream(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(
            model="m", messages=HELLO, stream=True, extra_headers=act("status=429")
        )


def test_cut_stream_raises_in_openai_sdk(oai: openai.OpenAI, fake: FakeProvider) -> None:
    stream = oai.chat.completions.create(
        model="m", messages=HELLO, stream=True, extra_headers=act("cut_after=2")
    )
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3  # the role chunk, then the two content chunks


def _transport_errors() -> tuple[type[Exception], ...]:
    # Anthropic's SDK lets a mid-stream transport error through unwrapped (OpenAI's wraps it in
    # APIConnectionError), from httpx or from its fork httpx2 depending on the SDK version.
    errors: list[type[Exception]] = [anthropic.APIConnectionError, httpx.RemoteProtocolError]
    with contextlib.suppress(ImportError):
        import httpx2

        errors.append(httpx2.RemoteProtocolError)
    return tuple(errors)


def test_cut_stream_raises_in_anthropic_sdk(claude: anthropic.Anthropic) -> None:
    with (
        pytest.raises(_transport_errors()),
        claude.messages.stream(
            model="c", max_tokens=100, messages=HELLO, extra_headers=act("cut_after=1")
        ) as stream,
    ):
        stream.get_final_message()


def test_fail_first_counts_per_key(http: httpx.Client, fake: FakeProvider) -> None:
    def status(key: str) -> int:
        headers = act("fail_first=2,status=503", **{"x-fake-key": key})
        return http.post(
            "/v1/chat/completions", json={"messages": HELLO}, headers=headers
        ).status_code

    results = [status(key) for key in ("a", "b", "a", "a", "b", "b")]
    assert results == [503, 503, 503, 200, 503, 200]
    fake.reset()
    assert status("a") == 503


def test_fail_first_lets_the_sdk_retry(fake: FakeProvider) -> None:
    with openai.OpenAI(base_url=f"{fake.url}/v1", api_key="k", max_retries=1) as client:
        completion = client.chat.completions.create(
            model="m", messages=HELLO, extra_headers=act("fail_first=1,status=500")
        )
    assert completion.choices[0].message.content == DEFAULT_TEXT
    assert [c.headers.get("x-stainless-retry-count") for c in fake.calls] == ["0", "1"]


def test_delay_holds_the_first_byte(oai: openai.OpenAI) -> None:
    started = time.perf_counter()
    oai.chat.completions.create(model="m", messages=HELLO, extra_headers=act("delay_ms=200"))
    assert time.perf_counter() - started >= 0.2


def test_invalid_json_body_is_a_400(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", content=b"{not json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    response = http.post("/v1/messages", content=b"[", headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_invalid_json_behaviour(http: httpx.Client, oai: openai.OpenAI) -> None:
    response = http.post("/v1/chat/completions", json={}, headers=act("invalid_json"))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    with pytest.raises(ValueError):  # the SDK lets the JSONDecodeError through
        oai.chat.completions.create(model="m", messages=HELLO, extra_headers=act("invalid_json"))


def test_unknown_behaviour_is_refused(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={}, headers=act("stauts=500"))
    assert response.status_code == 400
    assert "stauts" in response.json()["error"]["message"]


# Sizes


@pytest.mark.parametrize("size", [1024, 1_000_000])
def test_bytes_pads_the_body(http: httpx.Client, size: int) -> None:
    response = http.post(
        "/v1/chat/completions", json={"messages": HELLO}, headers=act(f"bytes={size}")
    )
    assert size <= len(response.content) < size + 32
    content = response.json()["choices"][0]["message"]["content"]
    assert response.json()["usage"]["completion_tokens"] == len(content.split())


def test_accepts_a_10_mb_body(http: httpx.Client, fake: FakeProvider) -> None:
    big = "x" * (10 * 1024 * 1024)
    response = http.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": big}]}
    )
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] == len(big) // 4 + 1
    assert len(fake.calls[0].body) > len(big)


# Echo, recording and test controls


def test_echo_message_answers_with_what_was_received(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "echo"}],
        extra_headers={"x-trace": "abc"},
        extra_query={"q": "1"},
    )
    echoed = orjson.loads(completion.choices[0].message.content or "")
    assert echoed["method"] == "POST"
    assert (echoed["path"], echoed["query"]) == ("/v1/chat/completions", "q=1")
    assert echoed["headers"]["x-trace"] == "abc"
    assert echoed["headers"]["authorization"] == "Bearer sk-fake"
    assert echoed["body"] == {"model": "m", "messages": [{"role": "user", "content": "echo"}]}


def test_echo_in_anthropic(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="c", max_tokens=5, messages=[{"role": "user", "content": "echo"}]
    )
    assert message.content[0].type == "text"
    echoed = orjson.loads(message.content[0].text)
    # Older SDKs send the key as x-api-key, newer ones as a bearer token.
    headers = echoed["headers"]
    assert "sk-ant-fake" in (headers.get("x-api-key"), headers.get("authorization", "")[7:])
    assert message.stop_reason == "end_turn"  # the echo is never cut by max_tokens


def test_other_paths_echo(http: httpx.Client) -> None:
    response = http.put("/anything/deep/path?a=1&b=2", content=b"raw \xff", headers={"X-Up": "1"})
    echoed = response.json()
    assert response.status_code == 200
    assert (echoed["method"], echoed["path"], echoed["query"]) == (
        "PUT",
        "/anything/deep/path",
        "a=1&b=2",
    )
    assert echoed["headers"]["x-up"] == "1"
    assert echoed["body"] == "raw \ufffd"


def test_calls_are_recorded_and_reset(http: httpx.Client, fake: FakeProvider) -> None:
    http.post("/v1/embeddings?x=y", content=b'{"input": "hi"}', headers={"X-Mixed-Case": "v"})
    [call] = fake.calls
    assert (call.method, call.path, call.query, call.body) == (
        "POST",
        "/v1/embeddings",
        "x=y",
        b'{"input": "hi"}',
    )
    assert call.headers["x-mixed-case"] == "v"
    assert call.json() == {"input": "hi"}
    assert http.get("/__calls").json() == [call.to_dict()]
    assert http.post("/__reset").status_code == 200
    assert fake.calls == []
    assert http.get("/__calls").json() == []


def test_provider_stops_cleanly() -> None:
    with FakeProvider() as provider:
        url = provider.url
        assert httpx.get(f"{url}/v1/models").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/models")


def test_standalone_server_prints_its_url() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", PACKAGE, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert httpx.get(f"{url}/v1/models").json()["object"] == "list"
        finally:
            process.terminate()


def test_every_behaviour_is_documented() -> None:
    readme = (Path(behaviour.__file__).parent / "README.md").read_text()
    assert {name for name in behaviour.NAMES if f"`{name}" not in readme} == set()

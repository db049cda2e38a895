"""Manual (async) logging: the cURL/Python/TypeScript manual-logger pages' bodies, end to end.

Examples are copied from the docs pages with only the base URL and key changed; each one
must leave one `request_response_rmt` row with the same columns as a proxied call.
"""

from __future__ import annotations

from typing import Any

import pytest

from heliograph.usage import Usage
from tests.api.async_log_helpers import (
    catalog_cost,
    example,
    logged_row,
    new_id,
    post_log,
    summary,
)
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def test_basic_example_logs_one_row_like_a_proxied_call(server: InProcessServer):
    body = example()
    row = logged_row(server, body)
    assert summary(row) == {
        "model": "my-custom-model",
        "provider": "CUSTOM",
        "response_status": 200,
        "delay_ms": 1333,  # 1677721749.456 - 1677721748.123
        "time_to_first_token": None,
        "prompt_tokens": 10,
        "completion_tokens": 8,
        "cost": 0,  # a model no price list knows
        "request_user_id": "",
        "request_properties": {},
        "request_path": "custom-model-nopath",
    }
    assert (row["request_created_at"], row["response_created_at"]) == (
        "2023-03-02 01:49:08.123",
        "2023-03-02 01:49:09.456",
    )
    assert row["request_body"] == body["providerRequest"]["json"]
    assert row["response_body"] == body["providerResponse"]["json"]


def test_first_curl_example_without_timing_or_usage(server: InProcessServer):
    body = {
        "providerRequest": {
            "url": "custom-model-nopath",
            "json": {
                "model": "text-embedding-ada-002",
                "input": "The food was delicious and the waiter was very friendly.",
                "encoding_format": "float",
            },
            "meta": {"metaKey1": "metaValue1", "metaKey2": "metaValue2"},
        },
        "providerResponse": {
            "json": {"responseKey1": "responseValue1", "responseKey2": "responseValue2"},
            "status": 200,
            "headers": {"headerKey1": "headerValue1", "headerKey2": "headerValue2"},
        },
    }
    row = logged_row(server, body)
    # "If not provided, Helicone will automatically set the current time as both start and
    # end time"; meta entries that are not Helicone headers are not properties.
    assert summary(row) | {"delay_ms": row["delay_ms"]} == {
        "model": "text-embedding-ada-002",
        "provider": "CUSTOM",
        "response_status": 200,
        "delay_ms": 0,
        "time_to_first_token": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cost": 0,
        "request_user_id": "",
        "request_properties": {},
        "request_path": "custom-model-nopath",
    }
    assert row["request_created_at"] == row["response_created_at"]
    assert row["response_body"] == body["providerResponse"]["json"]


def test_string_response_and_time_to_first_token_examples(server: InProcessServer):
    joke = "Why did the chicken cross the road? To get to the other side!"
    text = example()
    text["providerRequest"]["json"] = {"model": "my-custom-model", "prompt": "Tell me a joke"}
    text["providerResponse"] = {"headers": {}, "status": 200, "textBody": joke}
    row = logged_row(server, text)
    assert (row["response_body"], row["prompt_tokens"], row["delay_ms"]) == (joke, None, 1333)

    story = "Once upon a time, there was a robot named Rusty who dreamed of becoming human..."
    streamed = example()
    streamed["providerRequest"]["json"] = {
        "model": "my-streaming-model",
        "messages": [{"role": "user", "content": "Write a story about a robot"}],
        "stream": True,
    }
    streamed["providerResponse"] = {"headers": {}, "status": 200, "textBody": story}
    streamed["timing"]["timeToFirstToken"] = 150
    row = logged_row(server, streamed)
    assert (row["model"], row["response_body"], row["time_to_first_token"]) == (
        "my-streaming-model",
        story,
        150,
    )


@pytest.mark.parametrize(
    "response_json",
    [
        {"usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}},
        {"usage": {"input_tokens": 10, "output_tokens": 20}},
        {"usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 20}},
        {"prompt_token_count": 10, "generation_token_count": 20},
    ],
    ids=["openai", "anthropic", "google", "alternative"],
)
def test_every_documented_usage_format_gives_tokens_and_cost(
    server: InProcessServer, response_json: dict[str, Any]
):
    body = example()
    body["providerRequest"]["json"]["model"] = "gpt-4o-mini"
    body["providerResponse"]["json"] = response_json
    row = logged_row(server, body)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (10, 20)
    assert row["cost"] == pytest.approx(catalog_cost("CUSTOM", "gpt-4o-mini", Usage(10, 20)))


def test_meta_sets_properties_session_and_user_as_documented(server: InProcessServer):
    body = example()
    body["providerRequest"]["meta"] = {
        "Helicone-Property-User-Id": "user-123",
        "Helicone-Property-App-Version": "1.2.3",
        "Helicone-Property-Custom-Field": "custom-value",
        "Helicone-Session-Id": "session-123456",
        "Helicone-Session-Path": "/story/chapter",
        "Helicone-Session-Name": "Story",
        "Helicone-User-Id": "user-123456",
    }
    row = logged_row(server, body)
    assert row["request_user_id"] == "user-123456"
    assert row["request_properties"] == {
        "User-Id": "user-123",
        "App-Version": "1.2.3",
        "Custom-Field": "custom-value",
        "Helicone-Session-Id": "session-123456",
        "Helicone-Session-Path": "/story/chapter",
        "Helicone-Session-Name": "Story",
    }


def test_http_headers_win_over_meta_entries_of_the_same_name(server: InProcessServer):
    body = example()
    body["providerRequest"]["meta"] = {
        "Helicone-Property-Environment": "from-meta",
        "Helicone-Property-Only-Meta": "kept",
        "Helicone-User-Id": "meta-user",
        "Helicone-Session-Id": "meta-session",
    }
    row = logged_row(
        server,
        body,
        headers={
            "Helicone-Property-Environment": "from-header",
            "Helicone-User-Id": "header-user",
        },
    )
    assert row["request_user_id"] == "header-user"
    assert row["request_properties"] == {
        "Environment": "from-header",
        "Only-Meta": "kept",
        "Helicone-Session-Id": "meta-session",
    }


def test_request_id_comes_from_the_meta_or_the_header(server: InProcessServer):
    in_meta, in_header = new_id(), new_id()
    body = example()
    body["providerRequest"]["meta"] = {"Helicone-Request-Id": in_meta}
    assert post_log(server, body).json()["data"]["request_id"] == in_meta
    answer = post_log(server, body, headers={"Helicone-Request-Id": in_header})
    assert answer.headers["helicone-id"] == in_header
    assert server.wait_for_request(in_meta)["request_id"] == in_meta
    assert server.wait_for_request(in_header)["request_id"] == in_header


def test_oai_log_is_an_openai_call_priced_with_its_cached_tokens(server: InProcessServer):
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 1024},
    }
    body = example()
    body["providerRequest"]["url"] = "https://api.openai.com/v1"
    body["providerRequest"]["json"] = {"model": "gpt-4o-mini", "messages": [{"role": "user"}]}
    body["providerResponse"]["json"] = {"model": "gpt-4o-mini-2024-07-18", "usage": usage}
    row = logged_row(server, body, path="/oai/v1/log")
    assert (row["provider"], row["model"], row["prompt_cache_read_tokens"]) == (
        "OPENAI",
        "gpt-4o-mini",
        1024,
    )
    expected = catalog_cost("OPENAI", "gpt-4o-mini", Usage(1200, 300, cache_read_tokens=1024))
    assert row["cost"] == pytest.approx(expected)


def test_anthropic_log_as_the_python_page_builds_it(server: InProcessServer):
    """`helicone.log_request(provider="anthropic", ...)` with the page's `response_dict`."""
    request = {
        "model": "claude-3-opus-20240229",
        "messages": [{"role": "user", "content": "Explain quantum computing"}],
        "max_tokens": 1000,
    }
    response_dict = {
        "id": "msg_01",
        "content": [{"text": "Quantum computers use qubits...", "type": "text"}],
        "model": "claude-3-opus-20240229",
        "role": "assistant",
        "usage": {"input_tokens": 12, "output_tokens": 340},
    }
    body = example()
    body["providerRequest"]["json"] = request
    body["providerResponse"]["json"] = response_dict
    row = logged_row(server, body, path="/anthropic/v1/log")
    assert (row["provider"], row["model"], row["prompt_tokens"], row["completion_tokens"]) == (
        "ANTHROPIC",
        "claude-3-opus-20240229",
        12,
        340,
    )
    expected = catalog_cost("ANTHROPIC", "claude-3-opus-20240229", Usage(12, 340))
    assert row["cost"] == pytest.approx(expected)


def test_a_given_cost_is_stored_instead_of_the_catalog_price(server: InProcessServer):
    body = example()
    body["providerRequest"]["json"]["model"] = "gpt-4o-mini"
    body["providerResponse"]["cost"] = 0.0123
    assert logged_row(server, body)["cost"] == pytest.approx(0.0123)
    openrouter = example()
    openrouter["providerResponse"]["json"]["usage"]["cost"] = 0.00042
    assert logged_row(server, openrouter)["cost"] == pytest.approx(0.00042)


def test_given_usage_is_stored_instead_of_the_bodys_and_priced(server: InProcessServer):
    body = example()  # its body's usage: 10 prompt and 8 completion tokens
    body["providerRequest"]["json"]["model"] = "gpt-4o-mini"
    body["providerResponse"]["usage"] = {
        "prompt_tokens": 1200, "completion_tokens": 300, "cache_read_tokens": 1024,
    }  # fmt: skip
    row = logged_row(server, body)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (1200, 300)
    assert row["prompt_cache_read_tokens"] == 1024
    expected = catalog_cost("CUSTOM", "gpt-4o-mini", Usage(1200, 300, cache_read_tokens=1024))
    assert row["cost"] == pytest.approx(expected)
    assert row["response_body"] == body["providerResponse"]["json"], "the body is kept as sent"


def test_omit_and_model_override_headers_apply(server: InProcessServer):
    body = example()
    body["providerRequest"]["meta"] = {"Helicone-Omit-Request": "true"}
    row = logged_row(
        server,
        body,
        headers={"Helicone-Omit-Response": "true", "Helicone-Model-Override": "gpt-4o-mini"},
    )
    assert (row["request_body"], row["response_body"], row["model"]) == ({}, {}, "gpt-4o-mini")
    assert (row["prompt_tokens"], row["completion_tokens"]) == (10, 8)
    assert row["cost"] == pytest.approx(catalog_cost("CUSTOM", "gpt-4o-mini", Usage(10, 8)))


def test_error_status_is_logged_as_sent(server: InProcessServer):
    body = example()
    body["providerResponse"]["status"] = 429
    body["providerResponse"]["json"] = {"error": {"message": "Rate limit reached"}}
    row = logged_row(server, body)
    assert (row["response_status"], row["response_body"]) == (
        429,
        {"error": {"message": "Rate limit reached"}},
    )


def _without(path: str) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        del target[last]

    return mutate


def _setting(path: str, value: Any) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_without("providerRequest"), "providerRequest"),
        (_without("providerRequest.json"), "providerRequest.json"),
        (_setting("providerRequest.url", 5), "providerRequest.url"),
        (_setting("providerRequest.meta", ["a"]), "providerRequest.meta"),
        (_without("providerResponse"), "providerResponse"),
        (_without("providerResponse.json"), "providerResponse.json"),
        (_without("providerResponse.status"), "providerResponse.status"),
        (_setting("providerResponse.status", "200"), "providerResponse.status"),
        (_setting("providerResponse.status", 200.5), "providerResponse.status"),
        (_setting("providerResponse.headers", "x"), "providerResponse.headers"),
        (_setting("providerResponse.textBody", 7), "providerResponse.textBody"),
        (_setting("providerResponse.cost", -1), "providerResponse.cost"),
        (_setting("providerResponse.usage", 5), "providerResponse.usage"),
        (
            _setting("providerResponse.usage", {"prompt_tokens": -1}),
            "providerResponse.usage.prompt_tokens",
        ),
        (
            _setting("providerResponse.usage", {"prompt_tokens": 1.5}),
            "providerResponse.usage.prompt_tokens",
        ),
        (
            _setting("providerResponse.usage", {"input_tokens": 1}),
            "providerResponse.usage.input_tokens",
        ),
        (_setting("timing", "now"), "timing"),
        (_without("timing.startTime"), "timing.startTime"),
        (_setting("timing.startTime.seconds", "1677721748"), "timing.startTime.seconds"),
        (_without("timing.endTime.milliseconds"), "timing.endTime.milliseconds"),
        (_setting("timing.endTime.seconds", 1), "timing.startTime"),
        (_setting("timing.startTime.seconds", -5), "timing.startTime"),
        (_setting("timing.endTime.seconds", 10**12), "timing.endTime"),
        (_setting("timing.timeToFirstToken", -1), "timing.timeToFirstToken"),
        (_setting("provider", 3), "provider"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(server: InProcessServer, mutate: Any, field: str):
    body = example()
    mutate(body)
    response = post_log(server, body)
    assert response.status_code == 400
    assert response.json()["data"] is None
    assert f"'{field}'" in response.json()["error"]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'"text"'])
def test_bodies_that_are_not_a_json_object_are_400(server: InProcessServer, content: bytes):
    response = server.request(
        "POST",
        "/custom/v1/log",
        content=content,
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["data"] is None


def test_too_large_bodies_and_properties_are_refused(server: InProcessServer):
    body = example()
    body["providerRequest"]["json"]["messages"][0]["content"] = "x" * (11 * 1024 * 1024)
    assert post_log(server, body).status_code == 413
    body = example()
    body["providerRequest"]["meta"] = {"Helicone-Property-Big": "y" * (70 * 1024)}
    response = post_log(server, body)
    assert response.status_code == 400 and "Helicone-Property" in response.json()["error"]


@pytest.mark.parametrize("path", ["/custom/v1/log", "/oai/v1/log", "/anthropic/v1/log"])
def test_missing_or_unknown_keys_are_401(server: InProcessServer, path: str):
    assert server.request("POST", path, json=example()).status_code == 401
    wrong = post_log(server, example(), path, key="sk-helicone-not-a-key")
    assert wrong.status_code == 401 and wrong.json()["data"] is None
    # A key in the meta (LiteLLM puts one there) does not authenticate the call.
    body = example()
    body["providerRequest"]["meta"] = {"Helicone-Auth": f"Bearer {server.api_key}"}
    assert server.request("POST", path, json=body).status_code == 401


def test_the_row_belongs_to_the_keys_organization_whatever_the_body_says(
    server: InProcessServer,
):
    other = server.create_key("async-log-tenant")
    body = example()
    body["organization_id"] = "00000000-0000-0000-0000-000000000001"
    body["providerRequest"]["meta"] = {"Helicone-Auth": f"Bearer {server.api_key}"}
    answer = post_log(server, body, key=other, headers={"Helicone-Auth": f"Bearer {other}"})
    request_id = answer.json()["data"]["request_id"]
    assert server.wait_for_request(request_id, key=other)["request_id"] == request_id
    with server.api() as client:  # the bootstrap key's organization does not see it
        assert client.get(f"/v1/request/{request_id}").status_code == 404


def test_counts_the_store_cannot_hold_are_refused_not_queued(server: InProcessServer):
    """A row ClickHouse rejects would block the log pipeline: it is refused up front."""
    body = example()
    body["providerResponse"]["json"]["usage"]["prompt_tokens"] = 2**64 - 1
    response = post_log(server, body)
    assert response.status_code == 400 and "'prompt_tokens'" in response.json()["error"]
    assert logged_row(server, example())["prompt_tokens"] == 10  # the pipeline still flows

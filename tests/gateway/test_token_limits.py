"""Helicone-Token-Limit-Exception-Handler: unit rules, then through the real gateway."""

from __future__ import annotations

import httpx
import pytest

from heliograph.errors import InvalidRequestError
from heliograph.gateway.token_limits import apply_token_limit, context_window, estimate_tokens
from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess

LONG = "word " * 40_000  # ~50k estimated tokens: over gpt-4's 8,192, under gpt-4o's 128k


def conversation() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": LONG},
        {"role": "user", "content": "the   final\n\n  question"},
    ]


def test_under_the_limit_nothing_changes():
    request = {"model": "gpt-4o", "messages": conversation()}
    for handler in ("truncate", "middle-out"):
        assert apply_token_limit(handler, request) == request


def test_truncate_fits_the_window_and_keeps_every_message():
    fitted = apply_token_limit("truncate", {"model": "gpt-4", "messages": conversation()})
    assert estimate_tokens(fitted["messages"]) <= context_window("gpt-4")
    assert [m["role"] for m in fitted["messages"]] == ["system", "user", "assistant", "user"]
    assert fitted["messages"][-1]["content"] == "the final question"


def test_middle_out_keeps_start_and_end():
    fitted = apply_token_limit("middle-out", {"model": "gpt-4", "messages": conversation()})
    messages = fitted["messages"]
    assert estimate_tokens(messages) <= context_window("gpt-4")
    assert messages[0]["content"] == "You are helpful."
    assert messages[-1]["content"] == "the   final\n\n  question"


def test_fallback_picks_the_second_model_only_when_needed():
    short = {"model": "gpt-4, gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert apply_token_limit("fallback", short)["model"] == "gpt-4"
    long = {"model": "gpt-4, gpt-4o", "messages": conversation()}
    assert apply_token_limit("fallback", long)["model"] == "gpt-4o"


def test_unknown_handler_is_rejected():
    with pytest.raises(InvalidRequestError, match="must be one of truncate, middle-out, fallback"):
        apply_token_limit("shrink", {"model": "gpt-4", "messages": []})


def test_fallback_through_the_gateway(gateway: HeliographProcess, fake_provider: FakeProvider):
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={
            "Authorization": f"Bearer {gateway.api_key}",
            "Helicone-Token-Limit-Exception-Handler": "fallback",
        },
        json={"model": "gpt-4, gpt-4o-mini", "messages": conversation()},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert fake_provider.calls[-1].json()["model"] == "gpt-4o-mini"
    row = gateway.wait_for_request(response.headers["helicone-id"])
    assert row["request_model"] == "gpt-4o-mini"

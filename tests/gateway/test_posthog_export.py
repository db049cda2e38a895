"""Helicone-Posthog-Key: logged calls exported to a PostHog stand-in (a local receiver)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.inprocess import InProcessServer
from tests.webhooks.receiver import Receiver

CHAT = "/openai/v1/chat/completions"


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    # The receivers listen on loopback, which the outbound policy refuses unless allowed.
    app = InProcessServer(
        tmp_path_factory.mktemp("posthog") / "data",
        fake_provider.url,
        env={"HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1"},
    )
    app.start()
    yield app
    app.stop()


def call(server: InProcessServer, **headers: str) -> str:
    with server.client() as client:
        answer = client.post(
            CHAT,
            headers={**server.auth, "x-fake-behaviour": "words=5", **headers},
            json={
                "model": "gpt-4o-mini",
                "temperature": 0.3,
                "messages": [{"role": "user", "content": f"posthog {uuid.uuid4()}"}],
            },
        )
    assert answer.status_code == 200, answer.text
    return answer.headers["helicone-id"]


def events(receiver: Receiver) -> list[dict[str, Any]]:
    return [event for sent in receiver.received for event in sent.json["batch"]]


def test_each_call_becomes_one_event_batched_per_key(server: InProcessServer):
    with Receiver() as receiver:
        host = receiver.url.removesuffix("/hook")
        sent = {"Helicone-Posthog-Key": "phc_test", "Helicone-Posthog-Host": host}
        plain = call(server, **{"Helicone-Property-Team": "search"})
        ids = [call(server, **sent, **{"Helicone-Property-Team": "search"}) for _ in range(3)]
        receiver.wait_until(lambda r: len(events(r)) == 3)
        row = server.wait_for_request(ids[0])
        assert server.wait_for_request(plain)["properties"] == {"Team": "search"}
    assert {r.path for r in receiver.received} == {"/batch/"}
    assert {r.json["api_key"] for r in receiver.received} == {"phc_test"}
    assert len(receiver.received) < 3, "sent in batches"
    first = next(e for e in events(receiver) if e["properties"]["heliconeRequestId"] == ids[0])
    assert row["properties"] == {"Team": "search", "Helicone-Sent-To-Posthog": "true"}
    assert first["event"] == "helicone_request_response" and first["distinct_id"]
    props = first["properties"]
    assert props["customProperties"] == {"Team": "search"}
    assert (props["model"], props["provider"], props["temperature"]) == (
        "gpt-4o-mini",
        "OPENAI",
        0.3,
    )
    assert (props["promptTokens"], props["completetionTokens"]) == (
        row["prompt_tokens"],
        row["completion_tokens"],
    )
    assert props["totalTokens"] == row["prompt_tokens"] + row["completion_tokens"]
    assert props["cost"] == pytest.approx(row["cost"])
    assert props["path"] == row["target_url"]


def test_a_refused_or_bad_host_gets_nothing_and_the_call_is_unaffected(server: InProcessServer):
    export = server.app.posthog_export  # type: ignore[union-attr]
    before = export.dropped
    call(server, **{"Helicone-Posthog-Key": "phc_x", "Helicone-Posthog-Host": "http://10.0.0.1"})
    call(server, **{"Helicone-Posthog-Key": "phc_x", "Helicone-Posthog-Host": "ftp://x"})
    deadline = time.monotonic() + 10
    while export.dropped < before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert export.dropped == before + 2

"""`moderation_fail = open`: a call whose moderation check gets no verdict is sent unchecked,
and its row says so; a flagged one is refused all the same."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from heliograph.mock_provider import FakeProvider
from tests.conftest import SHARED_SETTINGS
from tests.gateway.conftest import gateway_env
from tests.gateway.test_moderation import chat, gateway, passthrough, sent
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    env = gateway_env(fake_provider, **SHARED_SETTINGS, HELIOGRAPH_MODERATION_FAIL="open")
    data_dir = tmp_path_factory.mktemp("moderation-open") / "data"
    app = InProcessServer(data_dir, fake_provider.url, env=env)
    app.start()
    yield app
    app.stop()


def test_a_failed_check_lets_the_call_through_and_the_row_says_so(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"open {uuid.uuid4()}"
    answer = passthrough(server, chat(tag), "sk-own-fake-behaviour:moderation_status=503")
    assert answer.status_code == 200, answer.text
    checks, calls = sent(fake_provider, tag)
    assert len(checks) == 1 and len(calls) == 1
    row = server.wait_for_request(answer.headers["helicone-id"])
    assert (row["moderation"], row["response_status"]) == ("error_allowed", 200)


def test_a_flagged_prompt_is_refused_whatever_the_setting(
    server: InProcessServer, fake_provider: FakeProvider
):
    tag = f"open {uuid.uuid4()} flag:violence"
    answer = gateway(server, chat(tag))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "PROMPT_FLAGGED_FOR_MODERATION"
    assert sent(fake_provider, tag)[1] == []

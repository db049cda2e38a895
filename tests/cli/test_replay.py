"""`heliograph replay`: logged requests and a whole session sent through a real server again."""

from __future__ import annotations

import uuid

from heliograph.mock_provider import FakeProvider
from tests.cli.helpers import run_cli
from tests.cli.logged import send_calls
from tests.server import HeliographProcess


def _replay(server: HeliographProcess, *args: str) -> list[tuple[str, str, str]]:
    result = run_cli(
        "replay", *args, "--url", server.url, "--key", server.api_key,
        "--header", "Authorization: Bearer sk-provider-key",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert all(len(parts) == 4 and parts[1] == "->" for parts in lines), result.stdout
    return [(old, new, status) for old, _, new, status in lines]


def test_a_request_is_replayed_with_its_body_and_properties(
    start_server, fake_provider: FakeProvider
):
    server: HeliographProcess = start_server()
    [original] = send_calls(server, 1, **{"Helicone-Property-Team": "search"})
    calls_before = len(fake_provider.calls)
    [(old, new, status)] = _replay(server, original)
    assert (old, status) == (original, "200")
    assert fake_provider.calls[calls_before].headers["authorization"] == "Bearer sk-provider-key"
    first, again = server.wait_for_request(original), server.wait_for_request(new)
    assert again["request_body"] == first["request_body"]
    assert again["target_url"] == first["target_url"]
    assert again["request_properties"] == {"Team": "search", "Replay-Of": original}


def test_a_session_is_replayed_in_order_as_a_new_session(start_server):
    server: HeliographProcess = start_server()
    session = f"chat-{uuid.uuid4()}"
    originals = []
    for path in ("/greet", "/greet/answer", "/bye"):
        originals += send_calls(
            server, 1, **{"Helicone-Session-Id": session, "Helicone-Session-Path": path}
        )
    replayed = _replay(server, "--session", session)
    assert [old for old, _, _ in replayed] == originals
    rows = [server.wait_for_request(new) for _, new, _ in replayed]
    new_sessions = {row["request_properties"]["Helicone-Session-Id"] for row in rows}
    assert len(new_sessions) == 1 and session not in new_sessions
    paths = [row["request_properties"]["Helicone-Session-Path"] for row in rows]
    assert paths == ["/greet", "/greet/answer", "/bye"]
    assert [row["request_created_at"] for row in rows] == sorted(
        row["request_created_at"] for row in rows
    )


def test_unknown_requests_are_a_one_line_error(start_server):
    server: HeliographProcess = start_server()
    missing = str(uuid.uuid4())
    result = run_cli("replay", missing, "--url", server.url, "--key", server.api_key)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: request {missing}: 404")
    none = run_cli("replay", "--session", "nope", "--url", server.url, "--key", server.api_key)
    assert none.stderr == "Error: no logged request of session nope\n"

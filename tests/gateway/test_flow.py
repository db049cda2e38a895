"""The steps of a proxied call (gateway/flow.py, steps.py, relay.py), each alone: what a
step's answer or failure does to the call, its log record and what the client gets."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from heliograph.asgi import ClientGone
from heliograph.errors import ForbiddenError, envelope
from heliograph.gateway.flow import Answer, CallFlow, CallState, Step
from heliograph.gateway.relay import relay_answer
from heliograph.gateway.steps import OPEN
from heliograph.helicone_headers import HeliconeHeaders
from heliograph.pipeline.call_record import open_call
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.registry import OPENAI_FORMAT


class Calls:
    """Records calls as CallLog does, without a pipeline."""

    def __init__(self) -> None:
        self.recorded: list[LoggedCall] = []

    def record(self, call: LoggedCall) -> None:
        self.recorded.append(call)


class Client:
    """The ASGI receive/send pair of one call; keeps what was sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client never hangs up
        return {"type": "http.disconnect"}

    async def send(self, message: Any) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def a_call(model: str | None = None) -> LoggedCall:
    headers = HeliconeHeaders(request_id="5c0ae1c4-2f5c-4d0e-8a55-3f4f9b1f9e10")
    return open_call(
        headers,
        "org-1",
        "key-1",
        provider="OPENAI",
        target_url="https://api.openai.com/v1/chat/completions",
        wire=OPENAI_FORMAT,
        started_at=1.0,
        request_body=b"{}",
        request_json={},
        model=model,
    )


def opening(headers: list[tuple[bytes, bytes]]) -> Step:
    """Stands in for intake, plan and open: the call's record and its answer headers."""

    async def run(state: CallState) -> bool:
        state.call, state.opened, state.headers = a_call(), True, list(headers)
        return True

    return Step("open", run)


def noting(name: str, ran: list[str], result: bool = True) -> Step:
    async def run(state: CallState) -> bool:
        ran.append(name)
        return result

    return Step(name, run)


def refusing(error: Exception) -> Step:
    async def run(state: CallState) -> bool:
        raise error

    return Step("refuse", run)


def flow(*steps: Step) -> tuple[CallFlow, Calls, Client]:
    calls = Calls()
    return CallFlow(list(steps), calls, envelope), calls, Client()  # type: ignore[arg-type]


def run_flow(call_flow: CallFlow, client: Client) -> None:
    asyncio.run(call_flow({"type": "http"}, client.receive, client.send))


def test_steps_run_in_order_until_one_answers_the_call():
    ran: list[str] = []
    call_flow, calls, client = flow(
        noting("first", ran), noting("answers", ran, False), noting("never", ran)
    )
    run_flow(call_flow, client)
    assert ran == ["first", "answers"]
    assert calls.recorded == [] and client.messages == []


def test_a_failure_before_the_call_opens_is_answered_but_not_logged():
    call_flow, calls, client = flow(refusing(ForbiddenError("not here")), opening([]))
    run_flow(call_flow, client)
    assert client.status == 403
    assert orjson.loads(client.body) == {"data": None, "error": "not here"}
    assert calls.recorded == []


def test_a_failure_after_the_call_opens_is_logged_and_keeps_the_answer_headers():
    headers = [(b"helicone-id", b"5c0ae1c4-2f5c-4d0e-8a55-3f4f9b1f9e10")]
    call_flow, calls, client = flow(opening(headers), refusing(ForbiddenError("blocked")))
    run_flow(call_flow, client)
    assert client.status == 403
    assert client.headers[b"helicone-id"] == headers[0][1]
    [call] = calls.recorded
    assert (call.status, call.error) == (403, "blocked")
    assert call.ended_at > 0


def test_a_client_gone_before_its_answer_gets_none_and_nothing_is_logged():
    call_flow, calls, client = flow(opening([]), refusing(ClientGone()))
    run_flow(call_flow, client)
    assert client.messages == [] and calls.recorded == []


def test_a_new_step_goes_in_front_of_the_named_one():
    ran: list[str] = []
    call_flow, calls, client = flow(opening([]), noting("upstream", ran), noting("relay", ran))
    call_flow.insert_before("upstream", refusing(ForbiddenError("moderated")))
    run_flow(call_flow, client)
    assert [step.name for step in call_flow.steps] == ["open", "refuse", "upstream", "relay"]
    assert ran == []
    assert calls.recorded[0].error == "moderated"


def test_the_open_step_starts_the_record_with_the_answer_headers():
    class Intake:
        def answer_headers(self, call: LoggedCall) -> list[tuple[bytes, bytes]]:
            return [(b"helicone-id", call.request_id.encode())]

    class Plan:
        def open(self) -> LoggedCall:
            return a_call()

    client = Client()
    state = CallState({}, client.receive, client.send)
    state.intake, state.plan = Intake(), Plan()  # type: ignore[assignment]
    assert asyncio.run(OPEN.run(state)) is True
    assert state.opened and state.call.organization_id == "org-1"
    assert state.headers == [(b"helicone-id", state.call.request_id.encode())]


def test_a_whole_answer_is_translated_logged_then_sent_with_its_length():
    client = Client()
    state = CallState({}, client.receive, client.send)
    state.call = a_call()
    state.answer = Answer(
        201,
        [(b"content-type", b"application/json")],
        "application/json",
        body=b"provider's",
        translate_body=lambda status, data: data.replace(b"provider", b"openai"),
    )
    logged: list[bytes] = []

    def record(call: LoggedCall) -> None:
        logged.append(call.response_body)
        assert client.messages == []  # logged before a byte goes out

    asyncio.run(relay_answer(state, record))  # type: ignore[arg-type]
    assert logged == [b"openai's"] and state.call.status == 201
    assert client.status == 201 and client.body == b"openai's"
    assert client.headers[b"content-length"] == b"8"
    assert state.sent == [b"openai's"]


def test_open_call_takes_the_model_override_over_the_routes_model():
    assert a_call("gpt-4o").model_override == "gpt-4o"
    headers = HeliconeHeaders(model_override="mine", user_id="u", omit_request=True)
    call = open_call(
        headers,
        "org",
        None,
        provider="X",
        target_url="",
        wire=OPENAI_FORMAT,
        started_at=0.0,
        request_body=b"",
        request_json=None,
        model="theirs",
    )
    assert (call.model_override, call.user_id, call.omit_request) == ("mine", "u", True)
    assert call.id_is_new and call.request_id != a_call().request_id

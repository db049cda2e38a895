"""One logged call through the gateway: the named steps every proxy route runs, in order.

    intake -> plan -> open -> guard -> upstream -> relay -> settle

`intake` admits the call (key, body, Helicone headers and policies), `plan` is the route's
choice of upstreams, `open` starts the call's log record, `guard` applies its rate limit and
answers from the cache, `upstream` gets the answer to relay, `relay` sends it and logs the
call, `settle` caches the answer and charges cost limits. The passthrough proxy and the
unified gateway differ only in their `Route` (how `plan` and `upstream` choose and call
upstreams). A new step (prompt assembly, moderation) is one `Step` put in the list.

A step returns False when it answered the call itself (a cache hit). A HeliographError from
any step is the call's answer: logged when the call was opened, rendered by the route.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from heliograph.asgi import ClientGone, Receive, Scope, Send, send_error
from heliograph.errors import HeliographError
from heliograph.gateway.intake import Intake
from heliograph.httpclient.response import UpstreamResponse
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.chat import StreamTranslator
from heliograph.store.log_row import LogRow

Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class Answer:
    """What the call is answered with: an upstream's response, or (`response` None) a whole
    `body` already at hand. `headers` are the answer's own; content-length is added."""

    status: int
    headers: Headers
    content_type: str
    response: UpstreamResponse | None = None
    body: bytes = b""
    stream: bool = False  # relayed chunk by chunk as it arrives
    translate_body: Callable[[int, bytes], bytes] | None = None  # for the client and the log
    translate_stream: StreamTranslator | None = None  # what the log keeps
    client_filter: StreamTranslator | None = None  # what of that the client gets


class Plan(Protocol):
    """A route's choice for one call, made from its intake."""

    cache_parts: tuple[str, str, bytes, Any]  # method, target, body, parsed body

    def open(self) -> LoggedCall:
        """The call's log record, before anything answered."""
        ...

    async def reach(self, call: LoggedCall, headers: Headers) -> Answer:
        """The answer to relay; raises a HeliographError when there is none."""
        ...


class Route(Protocol):
    """How one kind of proxy route chooses and calls upstreams, and renders its errors."""

    async def plan(self, scope: Scope, intake: Intake) -> Plan: ...

    def render(self, error: HeliographError) -> bytes: ...


@dataclass(slots=True)
class CallState:
    """One call as the steps hand it on; each field is set by the step that names it."""

    scope: Scope
    receive: Receive
    send: Send
    intake: Intake = field(init=False)
    plan: Plan = field(init=False)
    call: LoggedCall = field(init=False)
    answer: Answer = field(init=False)
    opened: bool = False  # `call` is set: a failure from here on is logged
    headers: Headers = field(default_factory=list)  # Helicone's answer headers so far
    sent: list[bytes] = field(default_factory=list)  # what the client got
    row: LogRow | None = None  # the call's log row, once relayed


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    run: Callable[[CallState], Awaitable[bool]]  # False: the call is answered, stop


class CallFlow:
    """Runs a call through `steps`; the one place a failed call is logged and answered."""

    def __init__(
        self, steps: list[Step], calls: CallLog, render: Callable[[HeliographError], bytes]
    ) -> None:
        self.steps = steps
        self._calls = calls
        self._render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = CallState(scope, receive, send)
        try:
            for step in self.steps:
                if not await step.run(state):
                    return
        except ClientGone:
            return
        except HeliographError as error:
            await self.fail(state, error)

    async def fail(self, state: CallState, error: HeliographError) -> None:
        if state.opened:
            call = state.call
            call.status, call.error, call.ended_at = error.status, error.message, time.time()
            self._calls.record(call)
        await send_error(state.send, error, state.headers, render=self._render)

    def insert_before(self, name: str, step: Step) -> None:
        """Put `step` in front of the step called `name` (a new step of every call)."""
        index = next(i for i, existing in enumerate(self.steps) if existing.name == name)
        self.steps.insert(index, step)

"""The steps of a logged call (flow.py), each a small unit: build them with `call_steps`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from heliograph.gateway.flow import CallFlow, CallState, Route, Step
from heliograph.gateway.guard import CallGuard
from heliograph.gateway.intake import take_in
from heliograph.gateway.relay import relay_answer
from heliograph.gateway.retry import RetryLimits
from heliograph.meta.keys import KeyStore
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.registry import OPENAI_FORMAT


@dataclass(frozen=True, slots=True)
class IntakeRules:
    """How a route admits calls."""

    missing_key: str  # the 401's message
    key_in_authorization: bool = False  # the Heliograph key may come as the bearer token
    methods: frozenset[str] | None = None  # None: any method


def intake(keys: KeyStore, limits: RetryLimits, rules: IntakeRules) -> Step:
    async def run(state: CallState) -> bool:
        state.intake = await take_in(
            state.scope,
            state.receive,
            keys,
            limits,
            key_in_authorization=rules.key_in_authorization,
            missing_key=rules.missing_key,
            methods=rules.methods,
        )
        return True

    return Step("intake", run)


def plan(route: Route) -> Step:
    async def run(state: CallState) -> bool:
        state.plan = await route.plan(state.scope, state.intake)
        return True

    return Step("plan", run)


async def _open(state: CallState) -> bool:
    opened(state, state.plan.open())
    return True


def opened(state: CallState, call: LoggedCall) -> None:
    """The call's record is open: a failure from here on is logged (CallFlow.fail)."""
    state.call = call
    state.opened = True
    state.headers = state.intake.answer_headers(call)


def open_unplanned(state: CallState, request_json: Any) -> LoggedCall:
    """Open the call's record before a plan chose any upstream, for a step before "plan"
    whose failure is to be logged all the same (prompt assembly): no provider, no target."""
    model = request_json.get("model") if isinstance(request_json, dict) else None
    call = state.intake.open_call("", "", OPENAI_FORMAT, request_json, model)
    opened(state, call)
    return call


OPEN = Step("open", _open)


def guard(call_guard: CallGuard) -> Step:
    """The rate limit (a RateLimited error) and the response cache (a hit answers)."""

    async def run(state: CallState) -> bool:
        policies = state.intake.policies
        cache_parts = state.plan.cache_parts
        return await call_guard.before(policies, state.call, cache_parts, state.headers, state.send)

    return Step("guard", run)


async def _reach(state: CallState) -> bool:
    state.answer = await state.plan.reach(state.call, state.headers)
    return True


UPSTREAM = Step("upstream", _reach)


async def refuse_logged(state: CallState, calls: CallLog, status: int, body: bytes) -> None:
    """Log the opened call with this JSON answer, then send it: a check refused the call
    before anything went upstream (moderation, LLM security)."""
    call = state.call
    call.status, call.response_body, call.ended_at = status, body, time.time()
    state.row = calls.record(call)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *state.headers,
    ]
    await state.send({"type": "http.response.start", "status": status, "headers": headers})
    await state.send({"type": "http.response.body", "body": body, "more_body": False})


def relay(calls: CallLog) -> Step:
    async def run(state: CallState) -> bool:
        await relay_answer(state, calls.record)
        return True

    return Step("relay", run)


def settle(call_guard: CallGuard) -> Step:
    """Cache a fresh answer; charge a cents limit with the logged row's cost."""

    async def run(state: CallState) -> bool:
        cost_nano = state.row.cost_nano if state.row is not None else 0
        content_type = state.answer.content_type
        await call_guard.after(
            state.intake.policies, state.call, state.sent, content_type, cost_nano
        )
        return True

    return Step("settle", run)


def call_flow(
    rules: IntakeRules,
    route: Route,
    keys: KeyStore,
    limits: RetryLimits,
    call_guard: CallGuard,
    calls: CallLog,
) -> CallFlow:
    """A proxy route's calls, through every step in order."""
    steps = [
        intake(keys, limits, rules),
        plan(route),
        OPEN,
        guard(call_guard),
        UPSTREAM,
        relay(calls),
        settle(call_guard),
    ]
    return CallFlow(steps, calls, route.render)

"""The fake provider's aiohttp application: provider routes, test controls, the echo fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from . import (
    anthropic,
    bedrock,
    behaviour,
    gemini,
    openai,
    openai_completions,
    openai_embeddings,
    openai_moderations,
)
from .recording import STATE, State, call_of, received

MAX_BODY = 32 * 1024 * 1024
INVALID_JSON_BODY = b'{"id": "chatcmpl-fake", "object": "chat.completion", "choi'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(*, max_calls: int | None = 10_000) -> web.Application:
    """Build the fake; it keeps the last `max_calls` requests for `/__calls`."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_misbehave])
    app[STATE] = State(max_calls)
    app.router.add_get("/__calls", _calls)
    app.router.add_post("/__reset", _reset)
    app.add_routes(openai.routes)
    app.add_routes(openai_completions.routes)
    app.add_routes(openai_embeddings.routes)
    app.add_routes(openai_moderations.routes)
    app.add_routes(anthropic.routes)
    app.add_routes(gemini.routes)
    app.add_routes(bedrock.routes)
    app.router.add_get("/v1/models", _models)
    app.router.add_route("*", "/{tail:.*}", _echo)
    return app


def _error_renderer(request: web.Request) -> Callable[[int, str | None], web.Response]:
    """Whose error format a request gets: Anthropic's, Google's or Bedrock's for their routes."""
    if request.path.startswith("/v1beta/"):
        return gemini.error_response
    if request.path.startswith("/model/"):
        return bedrock.error_response
    if request.path.startswith("/v1/messages") or "anthropic-version" in request.headers:
        return anthropic.error_response
    return openai.error_response


@web.middleware
async def _misbehave(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record the call, then apply the behaviours that don't depend on the route."""
    if request.path.startswith("/__"):
        return await handler(request)
    state = request.app[STATE]
    state.calls.append(call_of(request, await request.read()))
    error = _error_renderer(request)
    try:
        asked = behaviour.of(request)
    except behaviour.BehaviourError as exc:
        return error(400, f"fake provider: {exc}")
    if asked.delay_ms:
        await asyncio.sleep(asked.delay_ms / 1000)
    if asked.status is not None:
        key = behaviour.failure_key(request)
        previous = state.failures[key]
        state.failures[key] += 1
        if asked.fails(previous):
            return error(asked.status, None)
    if asked.invalid_json:
        return web.Response(body=INVALID_JSON_BODY, content_type="application/json")
    return await handler(request)


async def _echo(request: web.Request) -> web.Response:
    """Any other route: 200 with what was received, the body as text."""
    payload = received(request, (await request.read()).decode(errors="replace"))
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


async def _models(request: web.Request) -> web.Response:
    if "anthropic-version" in request.headers:
        return anthropic.models()
    return openai.models()


async def _calls(request: web.Request) -> web.Response:
    calls = [call.to_dict() for call in request.app[STATE].calls]
    return web.Response(body=orjson.dumps(calls), content_type="application/json")


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.Response(body=b'{"reset":true}', content_type="application/json")

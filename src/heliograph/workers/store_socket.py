"""What the store process serves on its Unix socket to the gateway workers: every request
they forward (to the whole server, with the caller's address they saw), and the shared
rate-limit windows and response cache (gateway/store_state.py is the client side).

Only the workers reach this socket (0600 in the data directory): the public port never
forwards a path under STATE_PATH, and a caller's own peer header is dropped by the worker.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from heliograph.asgi import Receive, Scope, Send, read_body, send_json
from heliograph.errors import envelope
from heliograph.gateway.body_limit import BodyLimit
from heliograph.gateway.cache_store import CacheStore
from heliograph.gateway.ratelimit import RateLimiter
from heliograph.gateway.store_state import STATE_PATH
from heliograph.workers.forward import PEER_HEADER

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
MAX_STATE_BODY = 32 << 20  # a cached response, base64-encoded, within the gateway's limits


class StoreSocketApp:
    def __init__(self, server: ASGIApp, limiter: RateLimiter, cache: CacheStore) -> None:
        self._server = server
        self._limiter = limiter
        self._cache = cache
        # Bounded as it is read, as every other route's body is (gateway/body_limit.py).
        self._state_limit = BodyLimit(MAX_STATE_BODY, envelope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._server(scope, receive, send)
            return
        if scope["path"].startswith(STATE_PATH):
            await self._state_limit(self._state, scope, receive, send)
            return
        peer = PEER_HEADER.encode()
        for name, value in scope["headers"]:
            if name == peer:
                scope["client"] = (value.decode("latin-1"), 0)
        scope["headers"] = [(n, v) for n, v in scope["headers"] if n != peer]
        await self._server(scope, receive, send)

    async def _state(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = scope["path"][len(STATE_PATH) :]
        body = await read_body(receive)
        try:
            answer = await self._operate(operation, orjson.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            await send_json(send, 400, orjson.dumps({"error": str(exc)}))
            return
        await send_json(send, 200, orjson.dumps(answer))

    async def _operate(self, operation: str, arguments: dict[str, Any]) -> Any:
        if operation == "admit":
            admitted, used = await self._limiter.admit(
                str(arguments["key"]),
                float(arguments["quota"]),
                int(arguments["window_s"]),
                float(arguments["amount"]),
            )
            return {"admitted": admitted, "used": used}
        if operation == "charge":
            key, window_s = str(arguments["key"]), int(arguments["window_s"])
            await self._limiter.charge(key, window_s, float(arguments["amount"]))
            return None
        if operation == "bucket":
            entries = await self._cache.bucket(str(arguments["key"]))
            return [base64.b64encode(entry).decode() for entry in entries]
        if operation == "add":
            entry = base64.b64decode(arguments["entry"])
            key, size, ttl_s = (
                str(arguments["key"]),
                int(arguments["max_size"]),
                int(arguments["ttl_s"]),
            )
            await self._cache.add(key, entry, size, ttl_s)
            return None
        if operation == "clear":
            return await self._cache.clear(str(arguments["prefix"]))
        raise ValueError(f"unknown operation {operation!r}")

"""Raw-ASGI types and plumbing shared by the raw routes: bodies, disconnects, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from heliograph.errors import ClientClosed, HeliographError, RetryLaterError, envelope

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

STATUS_CLIENT_GONE = 499  # nginx's "client closed request"
JSON_HEADERS = [(b"content-type", b"application/json")]


class ClientGone(ClientClosed):
    """The client hung up before its response was complete."""


class DisconnectWatcher:
    """Cancels the relaying task as soon as the client hangs up, even between chunks."""

    def __init__(self, receive: Receive) -> None:
        self.client_gone = False
        self._relaying = True
        self._relay_task = asyncio.current_task()
        self._task = asyncio.ensure_future(receive())
        self._task.add_done_callback(self._on_message)

    def _on_message(self, task: asyncio.Future[dict[str, Any]]) -> None:
        if task.cancelled() or not self._relaying:
            return
        if task.exception() is None and task.result().get("type") == "http.disconnect":
            self.client_gone = True
            if self._relay_task is not None:
                self._relay_task.cancel()

    def stop(self) -> None:
        self._relaying = False
        self._task.cancel()


async def read_body(receive: Receive) -> bytes:
    """The whole request body; its size is bounded by the route's BodyLimit (body_limit.py)."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return parts[0] if len(parts) == 1 else b"".join(parts)


def json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


async def send_error(
    send: Send,
    error: HeliographError,
    extra: list[tuple[bytes, bytes]] | None = None,
    render: Callable[[HeliographError], bytes] = envelope,
) -> None:
    """Answer with an error: Helicone's envelope by default, or another surface's `render`."""
    if isinstance(error, RetryLaterError):
        extra = [*(extra or []), (b"retry-after", str(error.retry_after_s).encode())]
    await send_json(send, error.status, render(error), extra)


async def send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode()), *(extra or [])]
    with contextlib.suppress(OSError):
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def serve_lifespan(
    receive: Receive,
    send: Send,
    startup: Callable[[], Awaitable[None]],
    shutdown: Callable[[], Awaitable[None]],
) -> None:
    """ASGI's lifespan protocol around an app's `startup` and `shutdown`."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await startup()
            except Exception as exc:
                logging.getLogger("heliograph").exception("start-up failed")
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return

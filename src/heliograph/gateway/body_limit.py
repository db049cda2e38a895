"""A request body size limit in front of an ASGI app, in the error format of its surface.

A Content-Length over the limit is refused before the app runs; a body without one (chunked)
is counted as the app reads it, and refused as soon as the count passes the limit. Either
way the answer is 413 with the surface's JSON error and the connection is closed, so the
rest of the body is never read. Nothing the app began to answer is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from heliograph.asgi import Receive, Scope, Send, send_error
from heliograph.errors import HeliographError

App = Callable[[Scope, Receive, Send], Awaitable[None]]
CLOSE = [(b"connection", b"close")]


class BodyTooLarge(HeliographError):
    status = 413
    kind = "invalid_request_error"


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none (or an unreadable one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Runs apps with request bodies of at most `limit` bytes; errors rendered by `render`."""

    def __init__(self, limit: int, render: Callable[[HeliographError], bytes]) -> None:
        self.limit = limit
        self._render = render

    def _error(self) -> BodyTooLarge:
        return BodyTooLarge(f"Request body over {self.limit} bytes")

    def __call__(self, app: App, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """What to await to run `app` within the limit.

        A body whose Content-Length is within the limit needs nothing counted (the HTTP
        parser delivers no more than declared): then it is the app's own coroutine, with no
        frame of this class in between, which every resumption of a stream would cross.
        """
        length = declared_length(scope)
        if length is not None and length <= self.limit:
            return app(scope, receive, send)
        return self._limited(app, length, scope, receive, send)

    async def _limited(
        self, app: App, length: int | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if length is not None:  # over the limit
            await send_error(send, self._error(), CLOSE, self._render)
            return
        counted = 0
        too_large = started = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal counted, too_large
            message = await receive()
            counted += len(message.get("body", b""))
            if counted > self.limit:
                too_large = True
                raise self._error()
            return message

        async def guarded_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if not too_large:  # what the app answers to the exception is not sent
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await send_error(send, self._error(), CLOSE, self._render)

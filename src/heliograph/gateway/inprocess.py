"""Calling the gateway from inside the server: one call through the very flow an HTTP client's
call takes (assembly, routing, limits, logging), for a caller that authenticated its
principal itself (the dashboard's prompt playground, api/prompt_playground.py).

The call is a synthetic ASGI request with the principal under TRUSTED_PRINCIPAL; its answer
is collected in memory, at most `max_answer_bytes` of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from heliograph.asgi import Receive, Scope, Send
from heliograph.errors import HeliographError, UpstreamError
from heliograph.gateway.intake import TRUSTED_PRINCIPAL
from heliograph.helicone_headers import PROPERTY_PREFIX, RAW_PROPERTY_NAMES
from heliograph.meta.keys import Principal

GatewayApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AnswerTooLarge(HeliographError):
    status = 502
    kind = "upstream_error"


@dataclass
class GatewayAnswer:
    """What the gateway answered: status, headers (names lower-case) and the whole body."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _scope(
    path: str, principal: Principal, headers: list[tuple[bytes, bytes]], names: list[bytes]
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": None,
        "server": None,
        TRUSTED_PRINCIPAL: principal,
        RAW_PROPERTY_NAMES: names,  # property names in the case given, as HTTP/1.1 keeps them
    }


async def call_gateway(
    app: GatewayApp,
    principal: Principal,
    path: str,
    body: bytes,
    headers: dict[str, str],
    max_answer_bytes: int,
) -> GatewayAnswer:
    """POST `body` to the gateway's `path` as `principal`, with `headers` (Helicone's, say);
    raises AnswerTooLarge past `max_answer_bytes`, UpstreamError when nothing was answered."""
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    names = [n.encode() for n in headers if n.lower().encode().startswith(PROPERTY_PREFIX)]
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the caller never hangs up; cancelled with the call
        raise AssertionError("unreachable")

    answer = GatewayAnswer()
    parts: list[bytes] = []
    size = 0

    async def send(message: MutableMapping[str, Any]) -> None:
        # Never raises: an exception here would reach the flow as the call's failure, and
        # the call is logged by then. Past the limit the rest is dropped, then refused below.
        nonlocal size
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in message["headers"]
            }
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= max_answer_bytes:
                parts.append(chunk)

    await app(_scope(path, principal, raw_headers, names), receive, send)
    if not answer.status:
        raise UpstreamError("The gateway gave no answer")
    if size > max_answer_bytes:
        raise AnswerTooLarge(f"The gateway's answer is over {max_answer_bytes} bytes")
    answer.body = b"".join(parts)
    return answer

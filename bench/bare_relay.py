"""The bare relay: the least a Python relay can do, as bench.compare's floor for Heliograph.

    python -m bench.bare_relay --port 9100 --upstream http://127.0.0.1:9000

A raw ASGI app on uvicorn (uvloop, httptools, one worker, no access log, no proxy headers,
no logging) that relays POST /v1/chat/completions to the upstream's same path through one
pooled aiohttp session, with only the Authorization and Content-Type headers, and answers
the upstream's status, content type and body. A stream is relayed chunk by chunk as it
arrives. Nothing is parsed, logged or stored: Heliograph does all of that and more, so its
figures over this relay's, measured in the same run, say what that costs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn

CHAT_PATH = "/v1/chat/completions"
FORWARDED = (b"authorization", b"content-type")
UPSTREAM_ENV = "BARE_RELAY_UPSTREAM"  # the upstream's base URL when --upstream is not given

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BareRelay:
    def __init__(self, upstream: str) -> None:
        self.url = upstream.rstrip("/") + CHAT_PATH
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["path"] == "/healthz":
            await _answer(send, 200, b"text/plain", b"ok")
        elif scope["path"] == CHAT_PATH and scope["method"] == "POST":
            await self._relay(scope, receive, send)
        else:
            await _answer(send, 404, b"text/plain", b"not found")

    async def _relay(self, scope: Message, receive: Receive, send: Send) -> None:
        assert self.session is not None, "called before lifespan start-up"
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in FORWARDED
        }
        async with self.session.post(self.url, data=body, headers=headers) as upstream:
            content_type = upstream.headers.get("Content-Type", "").encode()
            if not content_type.startswith(b"text/event-stream"):
                await _answer(send, upstream.status, content_type, await upstream.read())
                return
            start = {"status": upstream.status, "headers": [(b"content-type", content_type)]}
            await send({"type": "http.response.start", **start})
            async for chunk in upstream.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=60),
                    timeout=aiohttp.ClientTimeout(total=None),
                    skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                    cookie_jar=aiohttp.DummyCookieJar(),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _answer(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_relay", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", default=os.environ.get(UPSTREAM_ENV), help="base URL")
    args = parser.parse_args()
    if not args.upstream:
        parser.error(f"--upstream or {UPSTREAM_ENV} is required")
    uvicorn.run(
        BareRelay(args.upstream), host="127.0.0.1", port=args.port, loop="uvloop",
        http="httptools", workers=1, lifespan="on", access_log=False, proxy_headers=False,
        log_level="warning", server_header=False, date_header=False,
    )  # fmt: skip


if __name__ == "__main__":
    main()

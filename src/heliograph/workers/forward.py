"""A gateway worker's path to the store process: every request that is not a gateway or
proxy call (the REST API, the dashboard, async logs, /healthz) is sent on over the store
process's Unix socket and its answer relayed back as it arrives, so one port still serves
everything. The body was bounded by the worker (gateway_front's limits) before it gets here.
"""

from __future__ import annotations

import contextlib
import logging

from heliograph.asgi import Receive, Scope, Send, read_body, send_error
from heliograph.errors import HeliographError
from heliograph.httpclient.local_socket import LOCAL_ORIGIN, UnixSocketPool
from heliograph.httpclient.response import UpstreamConnectionError
from heliograph.outbound.headers import is_framing

log = logging.getLogger("heliograph.workers")

# The caller's address, as the worker saw it, for the store process (signin throttling):
# set by the worker only (a caller's own header of that name is dropped), read by
# store_socket.PeerFromWorker.
PEER_HEADER = "heliograph-peer"
STORE_RESTARTING = HeliographError(
    "the server's store process is not answering (it restarts after a failure); retry shortly",
    status=503,
)
# Not relayed: framing (the answer goes on in chunks of its own, which uvicorn frames) and
# Content-Encoding (the client decoded the answer, gzip or deflate, before it gets here).
_NOT_RELAYED = frozenset(
    (b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"content-encoding")
)


class StoreForwarder:
    """An ASGI app: the request goes to the store process, its answer comes back."""

    def __init__(self, store: UnixSocketPool) -> None:
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        headers, host = [], None
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            if name == "host":  # kept: the store process builds links and cookies from it
                host = value
            elif name != PEER_HEADER and not is_framing(name):
                headers.append((name, value))
        if scope.get("client"):
            headers.append((PEER_HEADER, str(scope["client"][0])))
        url = LOCAL_ORIGIN + target.decode("latin-1")
        try:
            answer = await self._store.request(scope["method"], url, headers, body, host=host)
        except (UpstreamConnectionError, TimeoutError) as exc:
            log.warning("store process unreachable: %s", exc)
            await send_error(send, STORE_RESTARTING)
            return
        try:
            relayed = [(n, v) for n, v in answer.raw_headers if n.lower() not in _NOT_RELAYED]
            await send({"type": "http.response.start", "status": answer.status, "headers": relayed})
            async for chunk in answer.iter_chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            with contextlib.suppress(Exception):
                answer.release()

"""Relaying an upstream SSE stream to the client chunk by chunk, and logging what it was."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from heliograph.asgi import STATUS_CLIENT_GONE, DisconnectWatcher, Receive, Send
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.chat import StreamTranslator
from heliograph.store.log_row import LogRow


async def relay_stream(
    response: UpstreamResponse,
    call: LoggedCall,
    receive: Receive,
    send: Send,
    record: Callable[[LoggedCall], LogRow | None],
    translate: StreamTranslator | None = None,
    relay: StreamTranslator | None = None,
    sent: list[bytes] | None = None,
) -> LogRow | None:
    """Send the stream's body (the response start is already sent) and record the call;
    returns what `record` returned (the call's row).

    `translate` turns provider bytes into the stream the log keeps; `relay` filters what of
    that the client gets. The call is recorded before the last bytes go out, so a client
    that received the whole stream always has its row.
    """
    call.is_stream = True
    logged: list[bytes] = []
    watcher = DisconnectWatcher(receive)
    try:
        await _pump(response, call, send, logged, translate, relay, sent)
    except asyncio.CancelledError:
        if not watcher.client_gone:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        call.status, call.error = STATUS_CLIENT_GONE, "client disconnected mid-stream"
    except TimeoutError:
        call.error = "upstream stream timed out"
    except UpstreamConnectionError as exc:
        call.error = f"upstream stream broke off: {type(exc).__name__}"
    finally:
        watcher.stop()
    tail = translate.finish() if translate is not None and not watcher.client_gone else b""
    logged.append(tail)
    if relay is not None:
        tail = relay.feed(tail) + relay.finish()
    if sent is not None and tail:
        sent.append(tail)
    call.response_body = b"".join(logged)
    call.ended_at = time.time()
    if not watcher.client_gone:
        # Let what was relayed leave before the call is logged (parsing every event takes
        # longer than relaying them): a stream that arrived whole is not held back for it.
        await asyncio.sleep(0)
    row = record(call)
    if not watcher.client_gone:
        await send({"type": "http.response.body", "body": tail, "more_body": False})
    return row


async def _pump(
    response: UpstreamResponse,
    call: LoggedCall,
    send: Send,
    logged: list[bytes],
    translate: StreamTranslator | None,
    relay: StreamTranslator | None,
    sent: list[bytes] | None,
) -> None:
    """Each chunk as it arrives: translated and kept for the log, filtered and sent."""
    async for chunk in response.iter_chunks():
        if call.first_byte_at is None:
            call.first_byte_at = time.time()
        if translate is not None:
            chunk = translate.feed(chunk)
        logged.append(chunk)
        if relay is not None:
            chunk = relay.feed(chunk)
        if chunk:
            if sent is not None:
                sent.append(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

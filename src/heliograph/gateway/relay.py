"""Sending a call's answer and logging the call: the one relay path of every proxy route.

A whole answer is logged, then sent; a stream goes out chunk by chunk as it arrives and is
logged before its last bytes (streaming.py), so a client that got a whole answer always has
its row.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from heliograph.errors import UpstreamError, UpstreamTimeout
from heliograph.gateway.flow import Answer, CallState
from heliograph.gateway.streaming import relay_stream
from heliograph.httpclient.response import UpstreamConnectionError
from heliograph.pipeline.rows import LoggedCall
from heliograph.providers.chat import StreamTranslator
from heliograph.providers.openai import usage_chunk_filter
from heliograph.providers.sse import whole_events
from heliograph.store.log_row import LogRow

Record = Callable[[LoggedCall], LogRow | None]


def client_filter(strip_usage: bool, whole_events_only: bool) -> StreamTranslator | None:
    """What keeps a stream's chunks from the client: the usage chunk added for the log (when
    the client did not ask for usage), or nothing but whole events (Helicone-Stream-Format)."""
    if strip_usage:
        return usage_chunk_filter()
    if whole_events_only:
        return whole_events()
    return None


async def relay_answer(state: CallState, record: Record) -> None:
    """Send `state.answer`, log the call; sets `state.row` and `state.sent`. Raises an
    UpstreamError when the upstream's answer breaks off before anything was sent."""
    answer = state.answer
    try:
        if answer.stream and answer.response is not None:
            state.call.status = answer.status
            start = {"type": "http.response.start", "status": answer.status}
            await state.send({**start, "headers": answer.headers})
            state.row = await relay_stream(
                answer.response,
                state.call,
                state.receive,
                state.send,
                record,
                answer.translate_stream,
                answer.client_filter,
                state.sent,
            )
        else:
            await _relay_whole(state, answer, record)
    finally:
        if answer.response is not None:
            answer.response.release()


async def _relay_whole(state: CallState, answer: Answer, record: Record) -> None:
    data = answer.body
    if answer.response is not None:
        try:
            data = await answer.response.read()
        except TimeoutError:
            raise UpstreamTimeout("Upstream timed out mid-body") from None
        except UpstreamConnectionError as exc:
            raise UpstreamError(f"Upstream response broke off: {type(exc).__name__}") from None
    if answer.translate_body is not None:
        data = answer.translate_body(answer.status, data)
    call = state.call
    call.status, call.response_body, call.ended_at = answer.status, data, time.time()
    state.row = record(call)
    headers = [*answer.headers, (b"content-length", str(len(data)).encode())]
    await state.send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await state.send({"type": "http.response.body", "body": data})
    state.sent.append(data)

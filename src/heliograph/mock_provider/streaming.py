"""Server-sent events: framing, pacing between chunks, and the abrupt cut."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from aiohttp import web

from . import behaviour


def data(payload: Any) -> bytes:
    """An OpenAI-style event: a `data:` line only."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def event(name: str, payload: Any) -> bytes:
    """An Anthropic-style event: an `event:` line, then its `data:` line."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


async def send(
    request: web.Request,
    headers: Mapping[str, str],
    head: Sequence[bytes],
    content: Sequence[bytes],
    tail: Sequence[bytes],
) -> web.StreamResponse:
    """Stream `head`, then the `content` chunks paced and possibly cut, then `tail`.

    `cut_after=N` ends the connection after N content chunks, without `tail`, the way a
    provider or a load balancer dropping mid-stream looks to the client.
    """
    asked = behaviour.of(request)
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    pause = asked.chunk_delay_ms / 1000
    try:
        for frame in head:
            await response.write(frame)
        for number, frame in enumerate(content):
            if number == asked.cut_after:
                await _cut(request)
                return response
            if pause and number:
                await asyncio.sleep(pause)
            await response.write(frame)
        if asked.cut_after is not None and asked.cut_after >= len(content):
            await _cut(request)
            return response
        for frame in tail:
            await response.write(frame)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away mid-stream; nothing left to send it
    return response


async def _cut(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    # Let what was written reach the client first: the cut must come after N whole chunks.
    while transport.get_write_buffer_size() and not transport.is_closing():
        await asyncio.sleep(0.001)
    transport.abort()

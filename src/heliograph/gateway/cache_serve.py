"""Answering a call from the cache: the stored answer, and a log row pointing at its origin."""

from __future__ import annotations

import time
from collections.abc import Callable

from heliograph.asgi import Send
from heliograph.gateway.cache import CachedResponse
from heliograph.pipeline.rows import LoggedCall


async def serve_cached(
    call: LoggedCall,
    cached: CachedResponse,
    index: int,
    extra_headers: list[tuple[bytes, bytes]],
    send: Send,
    record: Callable[[LoggedCall], object],
) -> None:
    """Send a cached answer, replaying a stream with its original chunking, and log the hit."""
    call.cache_enabled = True
    call.cache_reference_id = cached.request_id
    call.status = cached.status
    call.is_stream = cached.stream
    # A first token only means something for a stream; a whole answer has none (the call it
    # repeats, not streamed, has none either).
    call.first_byte_at = time.time() if cached.stream else None
    call.response_body = b"".join(cached.chunks)
    headers = [
        (b"content-type", cached.content_type.encode()),
        *extra_headers,
        (b"helicone-cache", b"HIT"),
        (b"helicone-cache-bucket-idx", str(index).encode()),
    ]
    if not cached.stream:
        headers.append((b"content-length", str(len(call.response_body)).encode()))
    # Logged before anything is sent: the answer goes out in one step (Spool.append).
    call.ended_at = time.time()
    record(call)
    await send({"type": "http.response.start", "status": cached.status, "headers": headers})
    for chunk in cached.chunks[:-1] if cached.stream else ():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    last = cached.chunks[-1] if cached.chunks else b""
    await send({"type": "http.response.body", "body": last, "more_body": False})

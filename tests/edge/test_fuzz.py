"""Fuzzing the header parser and the protocol with arbitrary input, bounded to a few seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.server import ServerState

from heliograph.gateway.edge_limits import EdgeLimits
from heliograph.gateway.http_protocol import CasePreservingProtocol, protocol_with_limits
from heliograph.helicone_headers import HOP_BY_HOP, PROPERTY_PREFIX, parse_headers

NAMES = st.one_of(
    st.sampled_from(
        [b"helicone-auth", b"helicone-property-env", b"helicone-request-id", b"host", b"x-a"]
    ),
    st.binary(max_size=30).map(bytes.lower),
)
HEADERS = st.lists(st.tuples(NAMES, st.binary(max_size=200)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(HEADERS)
def test_parse_headers_sorts_any_header_list_without_raising(headers: list[tuple[bytes, bytes]]):
    parsed = parse_headers({"headers": headers})
    forwarded = {name.encode("latin-1") for name, _ in parsed.forward}
    assert not forwarded & HOP_BY_HOP
    assert not any(name.startswith(b"helicone-") for name in forwarded)
    if any(name.startswith(PROPERTY_PREFIX) for name, _ in headers):
        assert parsed.properties
    if parsed.request_id is not None:
        assert len(parsed.request_id) == 36


class Transport(asyncio.Transport):
    """Collects what the protocol writes; closing is recorded, not performed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closing = False

    def write(self, data: Any) -> None:
        self.written += bytes(data)

    def write_eof(self) -> None:
        self.closing = True

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8585), "peername": ("127.0.0.1", 40000)}.get(name)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


LIMITS = EdgeLimits(max_head_bytes=2048, max_header_count=10, max_url_bytes=256)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def feed(loop: asyncio.AbstractEventLoop, pieces: list[bytes]) -> bytes:
    protocol_class = protocol_with_limits(LIMITS)
    config = uvicorn.Config(ok_app, http=protocol_class, lifespan="off", log_level="critical")
    config.load()
    protocol: CasePreservingProtocol = protocol_class(  # type: ignore[call-arg]
        config=config, server_state=ServerState(), app_state={}, _loop=loop
    )
    transport = Transport()
    protocol.connection_made(transport)
    for piece in pieces:
        protocol.data_received(piece)
        loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(asyncio.sleep(0))
    protocol.connection_lost(None)
    return transport.written


REQUEST_LIKE = st.builds(
    lambda method, path, headers, tail: (
        method + b" /" + path + b" HTTP/1.1\r\n" + b"".join(headers) + b"\r\n" + tail
    ),
    st.sampled_from([b"GET", b"POST", b"PUT", b"BREW"]),
    st.binary(max_size=400),
    st.lists(
        st.builds(
            lambda n, v: n + b": " + v + b"\r\n", st.binary(max_size=20), st.binary(max_size=600)
        ),
        max_size=15,
    ),
    st.binary(max_size=50),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(REQUEST_LIKE, st.binary(max_size=3000)), st.integers(1, 64))
def test_protocol_answers_any_bytes_with_a_response_or_nothing(
    loop: asyncio.AbstractEventLoop, data: bytes, piece: int
):
    written = feed(loop, [data[i : i + piece] for i in range(0, len(data), piece)])
    if written:
        status = int(written.split(b" ", 2)[1])
        assert status in {200, 400, 408, 414, 431, 503}, written[:200]
        head_end = data.find(b"\r\n\r\n")
        if (len(data) if head_end < 0 else head_end) > LIMITS.max_head_bytes:
            assert status != 200  # a head over the limit is never served

"""CoalescingTransport: a response's writes leave in one system call, in order, and nothing
written is lost or held past the end of the event-loop step that wrote it."""

from __future__ import annotations

import asyncio
import socket

from heliograph.gateway.http_protocol import CoalescingTransport


async def _pair() -> tuple[asyncio.Transport, socket.socket, list[int]]:
    """A real socket transport (its write system calls counted) and the peer's socket."""
    ours, theirs = socket.socketpair()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
    calls: list[int] = []
    write = transport.write

    def counting_write(data: bytes) -> None:
        calls.append(len(data))
        write(data)

    transport.write = counting_write  # type: ignore[method-assign]
    theirs.setblocking(False)
    return transport, theirs, calls  # type: ignore[return-value]


async def _read_all(peer: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < size:
        data += await loop.sock_recv(peer, size - len(data))
    return data


def test_writes_of_one_step_go_out_together_and_in_order():
    async def run() -> None:
        transport, peer, calls = await _pair()
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalescing.write(b"body")
        assert calls == []  # held until the step ends
        await asyncio.sleep(0)
        assert calls == [23]
        coalescing.write(b"more")  # a later step: a write of its own
        await asyncio.sleep(0)
        assert calls == [23, 4]
        assert await _read_all(peer, 27) == b"HTTP/1.1 200 OK\r\n\r\nbodymore"
        coalescing.write(b"last")
        coalescing.close()  # closing sends what waits first
        assert await _read_all(peer, 4) == b"last"
        assert coalescing.is_closing()
        peer.close()

    asyncio.run(run())


def test_writes_after_close_are_dropped_not_raised():
    async def run() -> None:
        transport, peer, calls = await _pair()
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        coalescing.close()
        coalescing.write(b"too late")
        await asyncio.sleep(0)
        assert calls == []
        peer.close()

    asyncio.run(run())


def test_a_large_answer_written_in_one_step_meets_the_transports_back_pressure():
    """A handler that writes megabytes without pausing must be paused by a slow reader
    (the transport's pause_writing) within that step, not buffer everything first."""

    class Recording(asyncio.Protocol):
        paused = False

        def pause_writing(self) -> None:
            self.paused = True

    async def run() -> None:
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(Recording, sock=ours)
        coalescing = CoalescingTransport(transport, loop)
        piece = b"x" * 16384
        for _ in range(256):  # 4 MiB, one step, a peer that reads nothing
            coalescing.write(piece)
        assert protocol.paused
        assert transport.get_write_buffer_size() > 0
        coalescing.close()
        theirs.close()

    asyncio.run(run())

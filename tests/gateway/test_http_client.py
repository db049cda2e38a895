"""The upstream HTTP/1.1 client against a raw TCP server that answers with scripted bytes:
framing (length, chunked, until close), keep-alive reuse, decompression, 1xx answers,
broken and slow answers, back-pressure, TLS, and requests it must refuse to send."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.request import Origin, accepted_encodings, split_url
from heliograph.httpclient.response import (
    BUFFER_HIGH_WATER,
    InvalidUpstreamResponse,
    UpstreamDisconnected,
    UpstreamUnreachable,
)
from heliograph.outbound.allowlist import AllowList
from heliograph.outbound.policy import OutboundPolicy

# The scripted servers listen on loopback, which the outbound policy refuses unless listed.
LOOPBACK = OutboundPolicy(AllowList.parse("127.0.0.0/8,::1,localhost"))

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    """Reads each request whole (head and Content-Length body), then runs `answer` on it."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed_connections = 0  # connections the client closed (or gave up on)
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                await self.answer(request, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed_connections += 1
        finally:
            writer.close()


def answer_with(*parts: bytes, close: bool = False, pause_s: float = 0.0) -> Answer:
    async def answer(_: bytes, writer: asyncio.StreamWriter) -> None:
        for part in parts:
            writer.write(part)
            await writer.drain()
            if pause_s:
                await asyncio.sleep(pause_s)
        if close:
            writer.close()

    return answer


def ok(body: bytes, *headers: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"".join(
        h + b"\r\n" for h in headers
    )
    return head + b"content-length: %d\r\n\r\n" % len(body) + body


def pool(read_timeout_s: float = 5.0) -> ConnectionPool:
    return ConnectionPool(connect_timeout_s=2.0, read_timeout_s=read_timeout_s, policy=LOOPBACK)


async def post(client: ConnectionPool, server: ScriptedServer, path: str = "/") -> Any:
    return await client.request("POST", server.url + path, [], b"{}")


def test_a_body_with_a_length_is_read_and_the_connection_kept_for_the_next_call():
    async def run() -> None:
        async with ScriptedServer(answer_with(ok(b'{"a":1}', b"X-Trace: t1"))) as server:
            client = pool()
            first = await client.request("POST", server.url + "/v1/chat", [], b'{"q":1}')
            assert (first.status, first.content_type) == (200, "application/json")
            assert first.headers["x-trace"] == "t1"
            assert await first.read() == b'{"a":1}'
            second = await client.request("POST", server.url + "/v1/chat?x=1", [], b"{}")
            assert await second.read() == b'{"a":1}'
            assert server.connections == 1
            assert server.requests[1].startswith(b"POST /v1/chat?x=1 HTTP/1.1\r\n")
            client.close()

    asyncio.run(run())


def test_the_request_carries_host_length_and_the_given_headers_only():
    async def run() -> None:
        async with ScriptedServer(answer_with(ok(b"{}"))) as server:
            client = pool()
            headers = [("Authorization", "Bearer sk-1"), ("accept-encoding", "br, gzip;q=1")]
            response = await client.request("POST", server.url + "/p", headers, b"12345")
            await response.read()
            head, _, body = server.requests[0].partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            port = server.url.rsplit(":", 1)[1]
            assert lines[0] == b"POST /p HTTP/1.1"
            assert sorted(lines[1:]) == sorted(
                [
                    b"Host: 127.0.0.1:" + port.encode(),
                    b"Authorization: Bearer sk-1",
                    b"accept-encoding: gzip;q=1",
                    b"Content-Length: 5",
                ]
            )
            assert body == b"12345"
            client.close()

    asyncio.run(run())


def test_chunked_answers_arrive_piece_by_piece_as_sent():
    chunks = [b"data: one\n\n", b"data: two\n\n", b"data: [DONE]\n\n"]
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    framed = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"]

    async def run() -> None:
        async with ScriptedServer(answer_with(head, *framed, pause_s=0.05)) as server:
            client = pool()
            response = await client.request("POST", server.url + "/s", [], b"{}")
            assert response.content_type == "text/event-stream"
            received = [chunk async for chunk in response.iter_chunks()]
            assert received == chunks
            again = await client.request("POST", server.url + "/s", [], b"{}")
            assert b"".join([c async for c in again.iter_chunks()]) == b"".join(chunks)
            assert server.connections == 1
            client.close()

    asyncio.run(run())


def test_an_answer_without_length_ends_with_the_connection_which_is_not_reused():
    async def run() -> None:
        answer = answer_with(b"HTTP/1.1 200 OK\r\n\r\npart one, ", b"part two", close=True)
        async with ScriptedServer(answer) as server:
            client = pool()
            response = await client.request("GET", server.url + "/", [])
            assert await response.read() == b"part one, part two"
            second = await client.request("GET", server.url + "/", [])
            assert await second.read() == b"part one, part two"
            assert server.connections == 2
            client.close()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [(b"gzip", gzip.compress), (b"deflate", zlib.compress)],
)
def test_compressed_bodies_are_decompressed(encoding: bytes, compress: Any):
    body = b'{"text": "' + b"compressible " * 500 + b'"}'

    async def run() -> None:
        answer = answer_with(ok(compress(body), b"Content-Encoding: " + encoding))
        async with ScriptedServer(answer) as server:
            client = pool()
            response = await post(client, server)
            assert await response.read() == body
            client.close()

    asyncio.run(run())


def test_informational_answers_are_skipped():
    async def run() -> None:
        early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
        async with ScriptedServer(answer_with(early, ok(b'{"ok":true}'))) as server:
            client = pool()
            response = await post(client, server)
            assert response.status == 200
            assert "link" not in response.headers
            assert await response.read() == b'{"ok":true}'
            client.close()

    asyncio.run(run())


def test_a_head_request_has_no_body_whatever_its_length_says():
    async def run() -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"
        async with ScriptedServer(answer_with(head)) as server:
            client = pool()
            response = await client.request("HEAD", server.url + "/", [])
            assert response.headers["content-length"] == "1000"
            assert await response.read() == b""
            client.close()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (answer_with(ok(b"not gzip at all", b"Content-Encoding: gzip")), InvalidUpstreamResponse),
        (  # closed mid-body: an error, never a short body
            answer_with(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this", close=True),
            UpstreamDisconnected,
        ),
    ],
    ids=["undecompressable", "closed-mid-body"],
)
def test_a_body_that_cannot_be_read_whole_is_an_error(answer: Answer, error: type[Exception]):
    async def run() -> None:
        async with ScriptedServer(answer) as server:
            client = pool()
            response = await post(client, server)
            with pytest.raises(error):
                await response.read()
            client.close()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (answer_with(close=True), UpstreamDisconnected),
        (answer_with(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), InvalidUpstreamResponse),
    ],
    ids=["closed-before-answering", "not-http"],
)
def test_no_answer_or_no_http_answer_is_an_error(answer: Answer, error: type[Exception]):
    async def run() -> None:
        async with ScriptedServer(answer) as server:
            client = pool()
            with pytest.raises(error):
                await post(client, server)
            client.close()

    asyncio.run(run())


def test_an_upstream_silent_past_the_read_timeout_times_out_and_is_not_reused():
    async def run() -> None:
        async def late(request: bytes, writer: asyncio.StreamWriter) -> None:
            if b"/slow" in request.split(b"\r\n", 1)[0]:
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")
                await writer.drain()
                await asyncio.sleep(1.0)
                return
            writer.write(ok(b"{}"))

        async with ScriptedServer(late) as server:
            client = pool(read_timeout_s=0.2)
            response = await client.request("POST", server.url + "/slow", [], b"{}")
            with pytest.raises(TimeoutError):
                await response.read()
            fresh = await client.request("POST", server.url + "/fast", [], b"{}")
            assert await fresh.read() == b"{}"
            assert server.connections == 2
            client.close()

    asyncio.run(run())


def test_an_answer_released_unread_closes_its_connection():
    async def run() -> None:
        body = b"x" * 50_000
        async with ScriptedServer(answer_with(ok(body)[:1000], ok(body)[1000:], pause_s=0.1)) as (
            server
        ):
            client = pool()
            response = await post(client, server)
            response.release()
            again = await client.request("POST", server.url + "/", [], b"{}")
            assert await again.read() == body
            assert server.connections == 2
            client.close()

    asyncio.run(run())


def test_reading_pauses_while_a_large_body_is_not_taken():
    size = 3 * BUFFER_HIGH_WATER

    async def run() -> None:
        async with ScriptedServer(answer_with(ok(b"y" * size))) as server:
            client = pool()
            response = await post(client, server)
            await asyncio.sleep(0.3)  # the server writes all it can; the client stops taking
            assert response._buffered <= BUFFER_HIGH_WATER + 256 * 1024
            taken = 0
            async for chunk in response.iter_chunks():
                taken += len(chunk)
            assert taken == size
            client.close()

    asyncio.run(run())


def test_an_unreachable_upstream_is_an_error():
    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        client = pool()
        with pytest.raises(UpstreamUnreachable):
            await client.request("POST", f"http://127.0.0.1:{port}/", [], b"{}")

    asyncio.run(run())


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Evil", "a\r\nInjected: yes")],
        [("X-Evil", "a\nInjected: yes")],
        [("X-Evil\r\nInjected", "yes")],
    ],
)
def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(headers: Any):
    async def run() -> None:
        async with ScriptedServer(answer_with(ok(b"{}"))) as server:
            client = pool()
            with pytest.raises(ValueError, match="line break"):
                await client.request("POST", server.url + "/", headers, b"{}")
            assert server.requests == []
            client.close()

    asyncio.run(run())


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "example.com/x", "http://user@example.com/", "http://h:99999/"]
)
def test_urls_that_are_not_plain_http_origins_are_refused(url: str):
    async def run() -> None:
        with pytest.raises(ValueError):
            await pool().request("POST", url, [], b"{}")

    asyncio.run(run())


def test_urls_split_into_origin_and_target():
    assert split_url("https://api.openai.com/v1/chat?x=1#frag") == (
        "https://api.openai.com",
        "/v1/chat?x=1",
    )
    assert split_url("http://h:8080?x=1") == ("http://h:8080", "/?x=1")
    assert Origin.parse("https://[::1]:8443") == Origin("https", "::1", 8443, "[::1]:8443")
    assert Origin.parse("http://example.com").port == 80
    assert Origin.parse("https://example.com:443").host_header == "example.com"
    assert Origin.parse("http://[::1]:80") == Origin("http", "::1", 80, "[::1]")


def test_accept_encoding_is_cut_down_to_what_is_decoded():
    assert accepted_encodings("gzip, deflate, br, zstd") == "gzip, deflate"
    assert accepted_encodings("br") is None
    assert accepted_encodings("identity") == "identity"


def test_skipping_a_short_body_keeps_the_connection_and_a_long_one_closes_it():
    async def run() -> None:
        async def sized(request: bytes, writer: asyncio.StreamWriter) -> None:
            size = 100 if b"/short" in request.split(b"\r\n", 1)[0] else 200_000
            writer.write(ok(b"z" * size))

        async with ScriptedServer(sized) as server:
            client = pool()
            for path in ("/short", "/short", "/long", "/short"):
                response = await client.request("POST", server.url + path, [], b"{}")
                await response.skip_body(64 * 1024)
            assert server.connections == 2  # the long answer's connection was not reused
            client.close()

    asyncio.run(run())


def test_connections_idle_past_the_keepalive_time_are_closed():
    async def run() -> None:
        async with (
            ScriptedServer(answer_with(ok(b"{}"))) as first,
            ScriptedServer(answer_with(ok(b"{}"))) as second,
        ):
            client = ConnectionPool(
                connect_timeout_s=2.0, read_timeout_s=5.0, keepalive_s=0.2, policy=LOOPBACK
            )
            await (await client.request("POST", first.url + "/", [], b"{}")).read()
            await asyncio.sleep(0.3)
            await (await client.request("POST", second.url + "/", [], b"{}")).read()
            await asyncio.sleep(0.05)  # the first server's side sees the connection end
            assert first.closed_connections == 1
            assert second.closed_connections == 0
            client.close()

    asyncio.run(run())


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for `localhost` (and its key), signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_upstreams_are_verified_against_the_trusted_certificates(tmp_path: Path):
    cert_path, key_path = _self_signed_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)

    async def run() -> None:
        handler = ScriptedServer(answer_with(ok(b'{"secure":true}')))
        server = await asyncio.start_server(handler._serve, "127.0.0.1", 0, ssl=server_tls)
        url = f"https://localhost:{server.sockets[0].getsockname()[1]}/v1/chat"
        try:
            trusting = ssl.create_default_context(cafile=str(cert_path))
            client = ConnectionPool(2.0, 5.0, ssl_context=trusting, policy=LOOPBACK)
            for _ in range(2):
                response = await client.request("POST", url, [], b"{}")
                assert await response.read() == b'{"secure":true}'
            assert handler.connections == 1
            assert handler.requests[0].split(b"\r\n")[1].startswith(b"Host: localhost:")
            client.close()
            default = pool()  # the system's certificate authorities: this one is unknown
            with pytest.raises(UpstreamUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
                await default.request("POST", url, [], b"{}")
        finally:
            server.close()

    asyncio.run(run())

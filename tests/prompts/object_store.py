"""A real S3-compatible HTTP server for the prompt body tests: moto's standalone server on
127.0.0.1 (a free port), in a thread of the test process, with the settings that point
Heliograph at one of its buckets.

Heliograph (and every presigned URL) reaches the store through a TCP relay, `Gate`: closing
it refuses new connections and cuts the open ones, as a store that went down does, and
opening it again on the same port brings the store back with what it held. (Stopping moto's
server would not do: its threads keep serving the connections already open, and its socket
stays bound.) The helpers' own calls go to moto directly.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import botocore.session
from moto.server import ThreadedMotoServer

ACCESS_KEY_ID = "heliograph-test-key-id"
SECRET_ACCESS_KEY = "heliograph-test-SECRET-0f3c9a7d"
REGION = "us-east-1"
KEY_PREFIX = "prompt-bodies/"


def _cut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Gate:
    """A TCP relay on 127.0.0.1 to `target_port`, which can be closed and opened again."""

    def __init__(self, target_port: int) -> None:
        self.port = 0  # chosen at the first open, kept by later ones
        self._target = ("127.0.0.1", target_port)
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            _cut(listener)  # shutdown wakes the thread blocked in accept()
        for connection in connections:
            _cut(connection)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self._target)
            except OSError:
                if self._listener is not listener:
                    return
                continue
            with self._lock:
                if self._listener is not listener:  # closed meanwhile
                    _cut(client)
                    _cut(upstream)
                    return
                self._connections |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                sink.shutdown(socket.SHUT_WR)  # the other side's end of data, passed on


class ObjectStore:
    def __init__(self) -> None:
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto_port = 0
        self._gate: Gate | None = None

    def start(self) -> ObjectStore:
        self._moto.start()
        self.moto_port = self._moto.get_host_and_port()[1]
        self._gate = Gate(self.moto_port)
        self._gate.open()
        return self

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.close()
        self._moto.stop()

    def __enter__(self) -> ObjectStore:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @contextmanager
    def down(self) -> Iterator[None]:
        """The store unreachable inside the block: connections refused, open ones cut."""
        assert self._gate is not None
        self._gate.close()
        try:
            yield
        finally:
            self._gate.open()

    @property
    def url(self) -> str:
        """Where Heliograph reaches the store (through the gate)."""
        assert self._gate is not None
        return f"http://127.0.0.1:{self._gate.port}"

    def client(self) -> Any:
        """A client of moto itself, past the gate."""
        return botocore.session.Session().create_client(
            "s3",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{self.moto_port}",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_bucket(self) -> str:
        name = f"prompts-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key of the bucket under `prefix`, sorted."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def object(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def settings(self, bucket: str) -> dict[str, str]:
        """The environment of a Heliograph server keeping its bodies in `bucket`."""
        return {
            "HELIOGRAPH_S3_BUCKET": bucket,
            "HELIOGRAPH_S3_ENDPOINT_URL": self.url,
            "HELIOGRAPH_S3_REGION": REGION,
            "HELIOGRAPH_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "HELIOGRAPH_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }

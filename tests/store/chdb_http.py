"""A stand-in ClickHouse HTTP interface over chDB, for the server path's tests on a machine
without a ClickHouse server:

    python -m tests.store.chdb_http DIRECTORY PORT
    HELIOGRAPH_TEST_CLICKHOUSE_URL=http://default:@127.0.0.1:PORT pytest tests/store

It speaks as much of ClickHouse's HTTP protocol as clickhouse-connect uses: the query in the
body (or in `query`, with an insert's rows in the body), `param_NAME` parameters, `database`,
settings as URL parameters (applied with SET around the query), `X-ClickHouse-Format` and
`X-ClickHouse-Exception-Code` in the answer. So the engine's HTTP path runs for real (the
client, URL encoding of parameters and settings, inserts, streams, errors); ClickHouse
itself is chDB, the same SQL as a server's. Users, roles and `ON CLUSTER` are not served.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# URL parameters of the transport, not ClickHouse settings.
_TRANSPORT = frozenset(
    {
        "query",
        "database",
        "session_id",
        "session_timeout",
        "session_check",
        "query_id",
        "quota_key",
        "compress",
        "decompress",
        "wait_end_of_query",
        "enable_http_compression",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "default_format",
        "role",
    }
)
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
_CODE = re.compile(r"Code: (\d+)\.")
_LOCK = threading.Lock()  # one chDB session, one query at a time
_session: Any = None


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def run(query: str, params: dict[str, str], settings: dict[str, str], database: str) -> bytes:
    """Run one query on the chDB session with these settings; its output bytes."""
    with _LOCK:
        if database:
            _session.query(f"USE {database}")
        for name, value in settings.items():
            _session.query(f"SET {name} = {_literal(value)}")
        try:
            result = _session.query(query, "TabSeparated", params=params)
            return bytes(result.bytes() or b"")
        finally:
            for name in settings:
                _session.query(f"SET {name} = DEFAULT")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else self._chunked()
        self._answer(body)

    def _chunked(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return b""
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _answer(self, body: bytes) -> None:
        url = urlsplit(self.path)
        if url.path == "/ping":
            self._send(200, b"Ok.\n", {})
            return
        fields = dict(parse_qsl(url.query, keep_blank_values=True))
        params = {k[6:]: v for k, v in fields.items() if k.startswith("param_")}
        if "client_protocol_version" in fields:  # no Native LowCardinality here
            self._send(
                500,
                b"Code: 115. DB::Exception: Unknown setting. (UNKNOWN_SETTING)\n",
                {"X-ClickHouse-Exception-Code": "115"},
            )
            return
        settings = {
            k: v for k, v in fields.items() if k not in _TRANSPORT and not k.startswith("param_")
        }
        data_file = None
        if "query" in fields:
            query = fields["query"]
            if body:  # an insert's rows: read by chDB from a file
                with tempfile.NamedTemporaryFile(delete=False, suffix=".rows") as handle:
                    handle.write(body)
                data_file = handle.name
                query = _FORMAT.sub(
                    lambda m: f"FROM INFILE {_literal(handle.name)} FORMAT {m.group(1)}", query
                )
        else:
            query = body.decode()
        fmt = _FORMAT.search(query)
        try:
            output = run(query, params, settings, fields.get("database", ""))
        except Exception as exc:
            message = str(exc).strip()
            code = _CODE.search(message)
            self._send(
                500,
                message.encode() + b"\n",
                {"X-ClickHouse-Exception-Code": code.group(1) if code else "1001"},
            )
            return
        finally:
            if data_file:
                os.unlink(data_file)
        headers = {"X-ClickHouse-Timezone": "UTC", "X-ClickHouse-Summary": "{}"}
        headers["X-ClickHouse-Format"] = fmt.group(1) if fmt else "TabSeparated"
        self._send(200, output, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    global _session
    from chdb import session

    directory, port = Path(sys.argv[1]), int(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    _session = session.Session(str(directory))  # type: ignore[no-untyped-call]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

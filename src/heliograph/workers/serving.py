"""How a Heliograph process serves HTTP: uvicorn with the gateway's protocol and limits,
on a socket made beforehand (the one port of `serve`, a gateway worker's SO_REUSEPORT
socket, or the store process's Unix socket)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import uvicorn

from heliograph.config import Settings
from heliograph.gateway.edge_limits import edge_limits
from heliograph.gateway.http_protocol import protocol_with_limits

LISTEN_BACKLOG = 2048


def server_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        loop="uvloop",
        http=protocol_with_limits(edge_limits(settings)),
        timeout_keep_alive=settings.keepalive_timeout_s,  # type: ignore[arg-type]
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # nothing reads the client address: one ASGI layer less per call
        log_level="warning",
        timeout_graceful_shutdown=10,
        server_header=False,  # proxied responses carry the provider's own Server and Date
        date_header=False,
    )


def tcp_socket(host: str, port: int, *, reuse_port: bool, listen: bool) -> socket.socket:
    """A TCP socket bound to host:port (OSError when it cannot be); with `reuse_port`, one
    of a group that share the port, the kernel spreading connections over those listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def unix_socket(path: Path) -> socket.socket:
    """A listening Unix socket at `path` (replacing a stale one), for its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    sock.listen(LISTEN_BACKLOG)
    return sock


def run(app: Any, settings: Settings, sock: socket.socket) -> None:
    """Serve `app` on `sock` until stopped (SIGINT, SIGTERM)."""
    try:
        uvicorn.Server(server_config(app, settings)).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it stopped on, once stopped
        pass

"""The faults bench.faults injects, each a window with a start and an end: real faults on
real processes and a real disk, never mocks.

  disk-full     fill the data dir's tmpfs with a filler file; delete it at the end
  descriptors   lower the server's RLIMIT_NOFILE (prlimit) to a few above what it holds,
                and hold many idle connections to it; close them and restore the limit
  redis         stop the harness's redis-server; start it again on the same port
  postgres      `pg_ctl stop -m immediate` the harness's cluster; start it again
  kill          SIGKILL the server and start it again on the same data dir
  hostile       slow, oversized and malformed clients (bench.faults_hostile)
"""

from __future__ import annotations

import contextlib
import errno
import resource
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.faults_hostile import HostileClients
from bench.faults_load import Target
from bench.faults_services import Heliograph, OwnPostgres, OwnRedis, Tmpfs

FD_HEADROOM = 16  # the lowered limit: what the server holds now plus this
IDLE_CONNECTIONS = 200
IDLE_CONNECT_S = 5.0  # at most this long opening them
FILL_CHUNK = 1 << 20


@dataclass
class Services:
    """What the faults act on."""

    tmpfs: Tmpfs
    redis: OwnRedis
    postgres: OwnPostgres | None  # None: the metadata is in SQLite, no postgres fault
    server: Heliograph
    target: Target


@dataclass
class Window:
    """One fault window as it happened: its name, times (seconds since the load started)
    and what the injector saw."""

    name: str
    began_s: float
    ended_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


class Fault:
    """A fault's start and end; `details` says what it did."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.details: dict[str, Any] = {}

    def begin(self) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


class DiskFull(Fault):
    def begin(self) -> None:
        self.filler = self.services.tmpfs.path / "filler"
        written = 0
        with self.filler.open("wb") as out:
            # Bounded: the tmpfs is size_mib big, so ENOSPC comes within that many chunks.
            for _ in range(self.services.tmpfs.size_mib + 1):
                try:
                    out.write(b"\0" * FILL_CHUNK)
                    out.flush()
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
                written += FILL_CHUNK
        self.details["filler_mib"] = written >> 20

    def end(self) -> None:
        self.filler.unlink(missing_ok=True)


def _open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


class Descriptors(Fault):
    def begin(self) -> None:
        self.pid = self.services.server.pid
        self.limits = resource.prlimit(self.pid, resource.RLIMIT_NOFILE)
        lowered = _open_fds(self.pid) + FD_HEADROOM
        resource.prlimit(self.pid, resource.RLIMIT_NOFILE, (lowered, self.limits[1]))
        self.details["nofile_lowered_to"] = lowered
        parts = urlsplit(self.services.target.base_url)
        self.idle: list[socket.socket] = []
        deadline = time.monotonic() + IDLE_CONNECT_S
        for _ in range(IDLE_CONNECTIONS):
            if time.monotonic() > deadline:  # a full accept queue makes each connect wait
                break
            try:
                sock = socket.create_connection((parts.hostname, parts.port), timeout=2)
            except OSError:
                continue
            self.idle.append(sock)
        self.details["idle_connections_opened"] = len(self.idle)

    def end(self) -> None:
        for sock in self.idle:
            sock.close()
        with contextlib.suppress(ProcessLookupError):  # a kill since: the new one has its own
            resource.prlimit(self.pid, resource.RLIMIT_NOFILE, self.limits)


class RedisDown(Fault):
    def begin(self) -> None:
        self.services.redis.stop()

    def end(self) -> None:
        self.services.redis.start()


class PostgresDown(Fault):
    def begin(self) -> None:
        self.postgres = self.services.postgres
        if self.postgres is None:
            raise ValueError("the postgres fault needs the harness's PostgreSQL")
        self.postgres.stop()

    def end(self) -> None:
        if self.postgres is not None:
            self.postgres.start()


class Kill(Fault):
    """The window is the restart: from the SIGKILL until the new server answers /healthz."""

    def begin(self) -> None:
        self.services.server.kill_and_restart()
        self.services.target.base_url = self.services.server.base_url

    def end(self) -> None:
        pass


class Hostile(Fault):
    def begin(self) -> None:
        self.clients = HostileClients(self.services.target.base_url, self.services.server.api_key)
        self.clients.start()

    def end(self) -> None:
        outcomes: dict[str, dict[str, int]] = {}
        for outcome in self.clients.stop():
            by_result = outcomes.setdefault(outcome.kind, {})
            by_result[outcome.result] = by_result.get(outcome.result, 0) + 1
        self.details["outcomes"] = outcomes


FAULTS: dict[str, type[Fault]] = {
    "disk-full": DiskFull,
    "descriptors": Descriptors,
    "redis": RedisDown,
    "postgres": PostgresDown,
    "kill": Kill,
    "hostile": Hostile,
}

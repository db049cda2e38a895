"""A private PostgreSQL cluster that a test may stop and start, never the shared one.

initdb in a fresh temp dir, on a free loopback port with its socket in that dir, as user
`postgres` when the tests run as root (initdb refuses root). bench/faults_services.py has
the same for the fault-injection soak; tests do not import bench, hence this small copy.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.server import free_port

OWNER = "postgres"  # the cluster's owner and superuser when running as root


def missing_reason() -> str | None:
    """Why a private cluster cannot run here, or None when it can."""
    for name in ("initdb", "pg_ctl"):
        if shutil.which(name) is None:
            return f"PostgreSQL's {name} is not on PATH"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists(OWNER)):
        return f"running as root needs runuser and a {OWNER!r} user (initdb refuses root)"
    return None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PostgresCluster:
    """Started by the constructor; `stop()` is `pg_ctl stop -m fast`, `close()` removes it."""

    def __init__(self) -> None:
        # Not pytest's tmp_path: that one is root's, mode 0700, out of the owner's reach.
        self.root = Path(tempfile.mkdtemp(prefix="heliograph-test-pg-"))
        self.user = OWNER if os.geteuid() == 0 else getpass.getuser()
        if os.geteuid() == 0:
            shutil.chown(self.root, OWNER, OWNER)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"
        self.running = False
        try:
            self._run(["initdb", "-D", str(self.data), "-A", "trust", "-U", self.user])
            self.start()
        except BaseException:
            self.close()
            raise

    def _run(self, command: list[str]) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "postgres.log")
        self._run(["pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start"])
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions are ended and the port is closed by the time this returns."""
        self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"])
        self.running = False

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop()
        if self.running:  # a fast stop that did not finish: no clean shutdown is needed
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

"""The processes and the disk bench.faults owns: a tmpfs for the data dir, its own Redis and
PostgreSQL (never the machine's), and a Heliograph that can be killed and started again.

Each piece is stopped by `close()` (idempotent) so that bench.faults can stop all of them
from one `finally`, whatever went wrong and however far the start-up got.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import stack
from bench.processes import BENCH_ROOT, BenchError, Service, free_port, wait_until_listening

PG_USER = "postgres"  # initdb refuses to run as root


def _run(command: list[str], timeout_s: float = 60.0) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")


class Tmpfs:
    """A tmpfs of `size_mib` mounted on `path`; unmounted (lazily, so a process still holding
    a file there cannot keep it mounted) by close()."""

    def __init__(self, path: Path, size_mib: int) -> None:
        self.path = path
        self.size_mib = size_mib
        path.mkdir(parents=True, exist_ok=True)
        _run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(path)])
        self.mounted = True

    def close(self) -> None:
        if self.mounted:
            _run(["umount", "--lazy", str(self.path)])
            self.mounted = False


class OwnRedis:
    """A throw-away redis-server on a free loopback port, no persistence."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.service: Service | None = None
        self.start()

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.service = Service("redis", command, self.workdir / "redis.log")
        wait_until_listening(self.service, self.port, timeout_s=20)

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    close = stop


def _pg_bin(name: str) -> str:
    """Debian's newest versioned binary, else the one on PATH (e.g. /usr/local/bin)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise BenchError(f"{name} not found under /usr/lib/postgresql/*/bin nor on PATH")
    return on_path


class OwnPostgres:
    """A PostgreSQL cluster of its own (initdb in a temp dir, run as `postgres`), on a free
    loopback port with its socket in that dir; `pg_ctl stop -m immediate` is the fault."""

    def __init__(self) -> None:
        # Not under the harness's temp dir: that one is root's, mode 0700.
        self.root = Path(tempfile.mkdtemp(prefix="heliograph-faults-pg-"))
        shutil.chown(self.root, PG_USER, PG_USER)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/postgres"
        self.running = False
        self._as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", PG_USER])
        self.start()

    def _as_postgres(self, command: list[str]) -> None:
        _run(["runuser", "-u", PG_USER, "--", *command])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "postgres.log")
        pg_ctl = [_pg_bin("pg_ctl"), "-D", str(self.data), "-l", log, "-o", options]
        self._as_postgres([*pg_ctl, "-w", "-t", "30", "start"])
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
            self.running = False

    def close(self) -> None:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Heliograph:
    """`heliograph serve` on a data dir that outlives it: killed with SIGKILL and started
    again (on a new port) by the fault, stopped gracefully at the end.

    Every start but the first keeps the first start's API key (it is in the metadata
    database by then), so callers keep theirs across restarts.
    """

    def __init__(self, workdir: Path, upstream: str, settings: dict[str, str]) -> None:
        self.workdir = workdir
        self.upstream = upstream
        self.settings = settings
        self.starts = 0
        self.service, self.base_url, self.api_key = self._start()

    def _start(self) -> tuple[Service, str, str]:
        log = self.workdir / "heliograph.log"
        if log.exists():  # start_heliograph truncates it: keep the previous run's lines
            log.rename(self.workdir / f"heliograph-{self.starts}.log")
        self.starts += 1
        return stack.start_heliograph(self.workdir, None, self.upstream, self.settings)

    @property
    def pid(self) -> int:
        return self.service.pid

    def kill_and_restart(self) -> None:
        self.service.process.kill()  # SIGKILL: no shutdown, no final flush
        self.service.process.wait(timeout=10)
        self.service, self.base_url, _ = self._start()

    def create_key(self, org: str) -> str:
        """An API key of a new organization `org`, made by `heliograph keys create`."""
        env = {**os.environ, **self.settings}
        command = [sys.executable, "-m", "heliograph", "keys", "create", "--name", org]
        command += ["--org", org, "--create-org"]
        command += ["--data-dir", str(self.workdir / "heliograph-data")]
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=BENCH_ROOT, timeout=60
        )
        if done.returncode != 0:
            raise BenchError(f"heliograph keys create exited {done.returncode}: {done.stderr}")
        return done.stdout.strip().splitlines()[-1]

    def close(self) -> int | None:
        return self.service.stop()

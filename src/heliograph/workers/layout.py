"""Where the processes of `serve --workers N` meet, all in the data directory (one file
system, so a hand-off is a rename): each gateway worker's own spool, the directory they
hand batches off to, their health reports, and the store process's Unix socket."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from heliograph.config import Settings

# A Unix socket's path must fit in 108 bytes; a longer data dir gets one in the temp dir.
MAX_SOCKET_PATH = 100


def workers_dir(settings: Settings) -> Path:
    return settings.data_dir / "workers"


def worker_spool(settings: Settings, worker: str) -> Path:
    return workers_dir(settings) / f"spool-{worker}"


def handoff_dir(settings: Settings) -> Path:
    return workers_dir(settings) / "handoff"


def reports_dir(settings: Settings) -> Path:
    return workers_dir(settings) / "reports"


def store_socket(settings: Settings) -> Path:
    path = workers_dir(settings).resolve() / "store.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"heliograph-{digest}" / "store.sock"


def worker_name(index: int) -> str:
    return f"gateway-{index}"

"""Durable on-disk spool of log rows waiting for the store.

Rows are appended, one JSON line each, to the open segment file with a plain `write` (one
`writev` for the rows of one event-loop step), which survives a process kill; `fsync` runs
on a short interval to survive a machine crash. The writer seals the open segment (rotates)
when it takes a batch, and deletes a sealed segment only after the store confirmed every
row in it.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from heliograph.fileio import write_all

_SEGMENT = re.compile(r"^seg-(\d{12})\.jsonl$")


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        existing = self.sealed_segments()
        self._next_number = (self._number(existing[-1]) + 1) if existing else 1
        self._fd = -1
        self._open_path = Path()
        self._dirty = False
        self._waiting: list[bytes] = []
        self._open_new_segment()

    @staticmethod
    def _number(path: Path) -> int:
        match = _SEGMENT.match(path.name)
        return int(match.group(1)) if match else 0

    def _open_new_segment(self) -> None:
        self._open_path = self.directory / f"seg-{self._next_number:012d}.jsonl"
        self._next_number += 1
        self._fd = os.open(self._open_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def sealed_segments(self) -> list[Path]:
        """Segments on disk other than the one open for appends, oldest first."""
        paths = [p for p in self.directory.iterdir() if _SEGMENT.match(p.name)]
        open_path = getattr(self, "_open_path", None)
        return sorted((p for p in paths if p != open_path), key=self._number)

    def append(self, line: bytes) -> None:
        """Append one newline-terminated row.

        Outside an event loop it is written at once. In one, the write waits for the end of
        the current step, with every row appended meanwhile (one system call for them all),
        and is made before any callback scheduled after this call: so before the bytes of a
        response sent after it, whose writes wait for the step's end too
        (gateway/http_protocol.py's CoalescingTransport).
        """
        if self._waiting:
            self._waiting.append(line)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            write_all(self._fd, [line])
            self._dirty = True
            return
        self._waiting.append(line)
        loop.call_soon(self.write_waiting)

    def write_waiting(self) -> None:
        """Write the rows appended and not yet written."""
        waiting, self._waiting = self._waiting, []
        if waiting:
            write_all(self._fd, waiting)
            self._dirty = True

    def seal(self) -> Path:
        """Close the open segment and start a new one; return the sealed segment's path."""
        self.write_waiting()
        sealed = self._open_path
        os.close(self._fd)
        self._dirty = False
        self._open_new_segment()
        return sealed

    def sync_handle(self) -> int | None:
        """A duplicate descriptor of the open segment to fsync off the event loop, if dirty.

        The caller fsyncs and closes it; sealing meanwhile does not disturb a duplicate.
        """
        self.write_waiting()
        if not self._dirty:
            return None
        self._dirty = False
        return os.dup(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            self.write_waiting()
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
            if self._open_path.stat().st_size == 0:
                self._open_path.unlink()

    @staticmethod
    def read_segment(path: Path) -> list[bytes]:
        """The complete rows of a segment; a torn last line (killed mid-write) is dropped."""
        data = path.read_bytes()
        lines = data.split(b"\n")
        return [line + b"\n" for line in lines[:-1] if line]

    @staticmethod
    def discard(path: Path) -> None:
        path.unlink(missing_ok=True)

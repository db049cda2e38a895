"""Durable on-disk spool of log rows waiting for the store.

Rows are appended, one JSON line each, to the open segment file with a plain `write` (one
`writev` for the rows of one event-loop step), which survives a process kill; `fsync` runs
on a short interval to survive a machine crash. The writer seals the open segment (rotates)
when it takes a batch, and deletes a sealed segment only after the store confirmed every
row in it.

A write can fail (a full disk, no descriptor left for the next segment, an I/O error). The
rows then stay in memory, in order, and a later write (the next row's, or the writer's
retry) puts them on disk; what a failed write left of them is cut off first, so a segment
only ever holds whole rows, each once. Retries back off while writes keep failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from pathlib import Path

from heliograph.fileio import write_all

_SEGMENT = re.compile(r"^seg-(\d{12})\.jsonl$")
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._open_path: Path | None = None
        existing = self.sealed_segments()
        self._next_number = (self._number(existing[-1]) + 1) if existing else 1
        self._fd = -1
        self._size = 0  # bytes of whole rows in the open segment
        self._rows = 0  # rows in the open segment
        self._torn = False  # a failed write may have left part of a row: cut it first
        self._dirty = False
        self._waiting: list[bytes] = []
        self.waiting_bytes = 0
        self._scheduled = False
        self._retry_s = 0.0
        self._retry_at = 0.0
        self.write_failures = 0
        self.last_error: OSError | None = None  # of the last write; None once one worked
        self._open_new_segment()

    @staticmethod
    def _number(path: Path) -> int:
        match = _SEGMENT.match(path.name)
        return int(match.group(1)) if match else 0

    def sealed_segments(self) -> list[Path]:
        """Segments on disk other than the one open for appends, oldest first."""
        paths = [p for p in self.directory.iterdir() if _SEGMENT.match(p.name)]
        return sorted((p for p in paths if p != self._open_path), key=self._number)

    @property
    def waiting_rows(self) -> int:
        """Rows appended and not on disk yet (held in memory while writes fail)."""
        return len(self._waiting)

    def append(self, line: bytes) -> None:
        """Append one newline-terminated row; never raises (a failed write keeps it).

        Outside an event loop it is written at once. In one, the write waits for the end of
        the current step, with every row appended meanwhile (one system call for them all),
        and is made before any callback scheduled after this call: so before the bytes of a
        response sent after it, whose writes wait for the step's end too
        (gateway/http_protocol.py's CoalescingTransport).
        """
        self._waiting.append(line)
        self.waiting_bytes += len(line)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.write_waiting()
            return
        self._scheduled = True
        loop.call_soon(self._write_scheduled)

    def _write_scheduled(self) -> None:
        self._scheduled = False
        if time.monotonic() >= self._retry_at:  # while failing, the writer's retry paces it
            self.write_waiting()

    def write_waiting(self) -> bool:
        """Write the rows appended and not yet written; True when none is left in memory."""
        if not self._waiting:
            return True
        try:
            self._cut_torn_tail()
            if self._fd < 0:
                self._open_new_segment()
            self._torn = True
            write_all(self._fd, self._waiting)
        except OSError as exc:
            self._write_failed(exc)
            return False
        self._torn = False
        self._size += self.waiting_bytes
        self._rows += len(self._waiting)
        self._waiting, self.waiting_bytes = [], 0
        self._dirty = True
        self._retry_s, self._retry_at, self.last_error = 0.0, 0.0, None
        return True

    def _cut_torn_tail(self) -> None:
        if self._torn and self._fd >= 0:
            os.ftruncate(self._fd, self._size)
            self._torn = False

    def _write_failed(self, exc: OSError) -> None:
        self.write_failures += 1
        self.last_error = exc
        self._retry_s = min(max(self._retry_s * 2, RETRY_FIRST_S), RETRY_MAX_S)
        self._retry_at = time.monotonic() + self._retry_s
        if self._torn and self._fd >= 0:
            try:
                self._cut_torn_tail()
            except OSError:
                pass  # cut before the next write or seal: the segment stays open till then

    def _open_new_segment(self) -> None:
        path = self.directory / f"seg-{self._next_number:012d}.jsonl"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._next_number += 1
        self._open_path, self._size, self._rows = path, 0, 0

    def seal(self) -> tuple[Path, int] | None:
        """Close the open segment and start a new one (or let the next write try, when that
        fails); return the sealed path and how many rows it holds, or None when no row is
        on disk in one (or it cannot be cut to whole rows yet)."""
        self.write_waiting()
        if self._fd < 0 or self._rows == 0:
            return None
        try:
            self._cut_torn_tail()
        except OSError as exc:
            self._write_failed(exc)
            return None
        path, rows = self._open_path, self._rows
        assert path is not None  # a segment is open
        os.close(self._fd)
        self._fd, self._open_path, self._dirty = -1, None, False
        with contextlib.suppress(OSError):  # no descriptor left, say: the next write retries
            self._open_new_segment()
        return path, rows

    def adopt(self, path: Path) -> Path:
        """Move a sealed segment written elsewhere into this spool (a rename: same file
        system), numbered after every segment here; its path here."""
        target = self.directory / f"seg-{self._next_number:012d}.jsonl"
        os.rename(path, target)
        self._next_number += 1
        return target

    def sync_handle(self) -> int | None:
        """A duplicate descriptor of the open segment to fsync off the event loop, if dirty.

        The caller fsyncs and closes it; sealing meanwhile does not disturb a duplicate.
        """
        self.write_waiting()
        if not self._dirty or self._fd < 0:
            return None
        handle = os.dup(self._fd)
        self._dirty = False
        return handle

    def sync_failed(self) -> None:
        """The last fsync failed: sync again on the next round."""
        self._dirty = True

    def close(self) -> int:
        """Write, sync and close what is open; return how many rows could not be written."""
        self.write_waiting()
        if self._fd >= 0:
            try:
                self._cut_torn_tail()
                os.fsync(self._fd)
            except OSError as exc:
                self._write_failed(exc)
            os.close(self._fd)
            self._fd = -1
            if self._open_path is not None and self._rows == 0:
                self._open_path.unlink(missing_ok=True)
            self._open_path = None
        return len(self._waiting)

    @staticmethod
    def read_segment(path: Path) -> list[bytes]:
        """The complete rows of a segment; a torn last line (killed mid-write) is dropped."""
        data = path.read_bytes()
        lines = data.split(b"\n")
        return [line + b"\n" for line in lines[:-1] if line]

    @staticmethod
    def discard(path: Path) -> None:
        path.unlink(missing_ok=True)

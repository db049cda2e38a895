"""Writing many buffers to a file descriptor in as few system calls as Linux allows."""

from __future__ import annotations

import os
from collections.abc import Sequence

IOV_MAX = 1024  # buffers one writev takes (Linux)


def write_all(fd: int, buffers: Sequence[bytes]) -> None:
    """Write every buffer, in order: one writev per IOV_MAX buffers, short writes finished."""
    for start in range(0, len(buffers), IOV_MAX):
        part = buffers[start : start + IOV_MAX]
        written = os.writev(fd, part)
        if written < sum(len(b) for b in part):
            rest = memoryview(b"".join(part))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]

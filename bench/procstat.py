"""Memory and CPU time of a server's whole process tree, read from /proc.

A server here is a process and everything it started (uvicorn's reloader-free worker,
nginx's master and worker, LiteLLM's uvicorn, node): figures are summed over the tree.
CPU time counts each live process's utime+stime plus the cutime+cstime of children it
has already reaped, so a worker that exited mid-run is not lost.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int, stat: str = "") -> list[str] | None:
    """/proc/<pid>/stat (or the `stat` path given) split after the command name (which may
    hold spaces)."""
    try:
        text = Path(stat or f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def tree(root: int) -> list[int]:
    """`root` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds of the tree, reaped children included."""
    ticks = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            # after the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / _TICKS_PER_S


def main_thread_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the main thread of `pid` (in Heliograph, the event
    loop's; threads are not named apart, so thread_cpu_seconds cannot tell it)."""
    fields = _stat_fields(pid, f"/proc/{pid}/task/{pid}/stat")
    return sum(int(f) for f in fields[11:13]) / _TICKS_PER_S if fields is not None else 0.0


def rss_bytes(root: int) -> int:
    """Resident memory of the tree (shared pages counted once per process)."""
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_BYTES
    return total


class RssSampler:
    """Samples the tree's RSS in a thread; `peak` is the largest sample since start,
    `median` the middle one (what a moment's spike, a merge say, does not move)."""

    def __init__(self, root: int, interval_s: float = 0.25) -> None:
        self.root = root
        self.interval_s = interval_s
        self.peak = rss_bytes(root)
        self.last = self.peak
        self.samples = [self.peak]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.last = rss_bytes(self.root)
        self.peak = max(self.peak, self.last)
        self.samples.append(self.last)

    @property
    def median(self) -> int:
        return sorted(self.samples)[len(self.samples) // 2]

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()


def mib(size: int) -> float:
    return round(size / (1 << 20), 1)


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """User + system CPU seconds of each thread of `pid`, summed by thread name."""
    by_name: dict[str, float] = {}
    for entry in os.scandir(f"/proc/{pid}/task"):
        try:
            name = Path(entry.path, "comm").read_text().strip()
        except OSError:
            continue
        fields = _stat_fields(pid, str(Path(entry.path, "stat")))
        if fields is None:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
        by_name[name] = by_name.get(name, 0.0) + seconds
    return by_name


def cpu_busy_ticks() -> dict[int, tuple[int, int]]:
    """Per CPU: (all ticks, idle + iowait ticks) since boot, from /proc/stat."""
    ticks: dict[int, tuple[int, int]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            counts = [int(v) for v in values]
            ticks[int(name[3:])] = (sum(counts), counts[3] + counts[4])
    return ticks


def cpu_busy_share(before: dict[int, tuple[int, int]]) -> dict[int, float]:
    """Per CPU: the share of time it was busy since `before` (cpu_busy_ticks)."""
    shares = {}
    for cpu, (total, idle) in cpu_busy_ticks().items():
        total_before, idle_before = before.get(cpu, (0, 0))
        elapsed = total - total_before
        shares[cpu] = 1 - (idle - idle_before) / elapsed if elapsed else 0.0
    return shares

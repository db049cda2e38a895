"""Log lines rate-limited per kind, so a failing disk or store cannot flood the log."""

from __future__ import annotations

import logging
import time
from collections import Counter

INTERVAL_S = 60.0


class ThrottledLog:
    """At most one line per kind of trouble a minute; the lines held back are counted in
    the next one of their kind."""

    def __init__(self, logger: logging.Logger, interval_s: float = INTERVAL_S) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._held_back: Counter[str] = Counter()

    def warning(self, kind: str, message: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self._interval_s:
            self._held_back[kind] += 1
            return
        self._last[kind] = now
        held_back = self._held_back.pop(kind, 0)
        if held_back:
            message += f" ({held_back} more like this since the last such line)"
        self._logger.warning(message, *args)


def describe(exc: BaseException) -> str:
    """One short line about an error, for a log line or /healthz (never a traceback)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

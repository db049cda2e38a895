"""Rows the store will never take: found by halving a refused batch, and set aside on disk."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from heliograph.pipeline.sink import LogSink
from heliograph.store.engine import StoreError, is_row_refusal
from heliograph.store.log_row import LogRow

log = logging.getLogger("heliograph.pipeline")


class StoreRefusedAll(StoreError):
    def __init__(self, rows: int) -> None:
        super().__init__(f"the log store refused all {rows} rows one by one")


async def write_isolating(
    sink: LogSink, rows: Sequence[LogRow], segment: Path | None = None
) -> set[LogRow]:
    """Write `rows`; when the store refuses some, store the rest and return those.

    A row the store can never take (a value out of its column's range, say) must not
    hold every later row back forever. Halving the batch finds such rows in a few
    writes each. If not one row goes in, the store itself is failing: raise, keep all.
    A row is set aside only when the store refused its data: when the store fails for
    another reason (too many open files during a merge, say), that raises too.
    (Replays get here only after the store answered a read, so an unreachable store
    costs one write, not a halving.)
    """
    refused: set[LogRow] = set()
    taken = 0

    async def write(part: Sequence[LogRow]) -> None:
        nonlocal taken
        try:
            await sink.write(part)
            taken += len(part)
        except Exception as exc:
            if len(part) == 1:
                if not is_row_refusal(exc):
                    raise
                refused.add(part[0])
                return
            middle = len(part) // 2
            await write(part[:middle])
            await write(part[middle:])

    try:
        await sink.write(rows, segment)
        return set()
    except Exception:
        if len(rows) <= 1:
            raise
    middle = len(rows) // 2
    await write(rows[:middle])
    await write(rows[middle:])
    if taken == 0:
        raise StoreRefusedAll(len(rows))
    return refused


def set_aside(rejected: set[LogRow], directory: Path, segment: Path) -> None:
    """Keep rows the store refused in `directory`, named after their segment, synced."""
    directory.mkdir(exist_ok=True)
    target = directory / f"{segment.stem}-{int(time.time())}.jsonl"
    with open(target, "ab") as out:
        out.writelines(sorted(row.line for row in rejected))
        out.flush()
        os.fsync(out.fileno())
    log.warning(
        "log store refused %d row(s) it will never take; they are kept in %s",
        len(rejected),
        target,
    )

"""Pacing: a worker slot rests after a job only while calls other than judges' are logged,
for the job's time times (100 / share - 1)."""

from __future__ import annotations

import asyncio
import time

from heliograph.evaluators.online import JUDGE_MARK, OnlineDispatcher
from heliograph.evaluators.pacing import Pacer
from heliograph.store.log_row import LogRow


def _row(line: bytes) -> LogRow:
    return LogRow(line, "r", "o", False, 0)


def test_only_traffic_other_than_judges_counts():
    dispatcher = OnlineDispatcher(None, None, lambda: None)  # type: ignore[arg-type]
    judge = _row(b'{"properties": {' + JUDGE_MARK + b': "Accuracy"}}\n')
    asyncio.run(dispatcher([judge, judge]))
    assert dispatcher.traffic == 0
    asyncio.run(dispatcher([judge, _row(b'{"properties": {}}\n')]))
    assert dispatcher.traffic == 1


def test_while_traffic_flows_jobs_run_one_at_a_time_after_a_rest():
    traffic = [0]
    pacer = Pacer(lambda: traffic[0], share_percent=20)  # rests 4x the last job's time
    spans: list[tuple[float, float]] = []

    flowing = [False]

    async def job() -> None:
        async with pacer.turn():
            start = time.monotonic()
            await asyncio.sleep(0.05)
            traffic[0] += flowing[0]  # other calls logged meanwhile
            spans.append((start, time.monotonic()))

    async def scenario() -> None:
        await asyncio.gather(job(), job())  # nothing logged: side by side
        assert abs(spans[0][0] - spans[1][0]) < 0.03
        spans.clear()
        traffic[0], flowing[0] = 5, True
        await asyncio.gather(job(), job(), job())

    asyncio.run(scenario())
    first, second, third = sorted(spans)
    assert second[0] >= first[1]  # one at a time
    assert third[0] - second[1] >= 0.15  # after a rest of about 4 x 0.05 s

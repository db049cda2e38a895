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


def test_a_slot_rests_while_traffic_flows_and_not_otherwise():
    traffic = [0]
    pacer = Pacer(lambda: traffic[0], share_percent=20)  # rests 4x the job's time
    started = time.monotonic()
    asyncio.run(pacer.rest(0.05))
    assert time.monotonic() - started < 0.05  # nothing logged: no rest
    traffic[0] = 3
    started = time.monotonic()
    asyncio.run(pacer.rest(0.05))
    assert 0.2 <= time.monotonic() - started < 1
    assert not pacer.busy()  # nothing new since

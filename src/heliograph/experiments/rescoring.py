"""Scoring an experiment's finished outputs again (Helicone's "run evaluators"): each
output that succeeded and lacks the score of an attached evaluator is scored, in the
background, a few at a time. One such pass runs per experiment at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.experiments.results import calls_of
from heliograph.experiments.rules import DONE
from heliograph.experiments.scoring import score_output
from heliograph.meta.experiment_models import ExperimentOutput

if TYPE_CHECKING:  # the service holds the passes (Rescoring)
    from heliograph.experiments.service import Experiments

READ_CHUNK = 1_000  # request ids read from the log store at a time
AT_ONCE = 4  # outputs scored at once by one pass


def _done_request_ids(x: Experiments, experiment_id: str) -> list[str]:
    with x.rows.sessions() as session:
        return list(
            session.scalars(
                select(ExperimentOutput.request_id).where(
                    ExperimentOutput.experiment_id == experiment_id,
                    ExperimentOutput.status == DONE,
                    ExperimentOutput.is_original.is_(False),
                )
            )
        )


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), READ_CHUNK):
        yield ids[start : start + READ_CHUNK]


async def unscored(
    x: Experiments, org: str, experiment_id: str, evaluators: list[EvaluatorInfo]
) -> list[str]:
    """Request ids of the outputs that lack a score of one of `evaluators`."""
    names = {evaluator.score_name for evaluator in evaluators}
    ids = await asyncio.to_thread(_done_request_ids, x, experiment_id)
    missing: list[str] = []
    for chunk in _chunks(ids):
        calls = await calls_of(x.engine, org, chunk)
        missing += [i for i in chunk if i in calls and not names <= set(calls[i]["scores"])]
    return missing


async def rescore(x: Experiments, org: str, experiment_id: str) -> None:
    evaluators = await x.attached_evaluators(org, experiment_id)
    if not evaluators:
        return
    missing = iter(await unscored(x, org, experiment_id, evaluators))

    async def scorer() -> None:  # AT_ONCE of these share the one iterator
        for request_id in missing:
            await score_output(x.evaluators.runner, x.engine, evaluators, org, request_id)

    await asyncio.gather(*(scorer() for _ in range(AT_ONCE)))


class Rescoring:
    """The passes running, one per experiment; cancelled when the server stops."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, x: Experiments, org: str, experiment_id: str) -> bool:
        """Start a pass, unless one runs already (False)."""
        running = self._tasks.get(experiment_id)
        if running is not None and not running.done():
            return False
        task = asyncio.create_task(rescore(x, org, experiment_id), name="experiment-rescore")
        self._tasks[experiment_id] = task
        task.add_done_callback(lambda done: self._forget(experiment_id, done))
        return True

    def _forget(self, experiment_id: str, done: asyncio.Task[None]) -> None:
        if self._tasks.get(experiment_id) is done:
            del self._tasks[experiment_id]

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)

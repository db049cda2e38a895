"""Scoring an experiment's outputs with the evaluators attached to it.

An output's call is read back from the log store (the judge sees the assembled request and
the answer, as for online evaluation), each evaluator gives its score, and the scores are
written through the score path under the evaluators' score names, so the evals views, the
filters and HQL read them like any other. A judge call's request id is made from the
evaluator's and the output's, so scoring again after a crash logs it under the same id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from heliograph.errors import HeliographError
from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.evaluators.judge import CallToJudge
from heliograph.evaluators.runner import Runner
from heliograph.evaluators.worker import logged_bodies
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.scores import add_scores

log = logging.getLogger("heliograph.experiments")
EXPERIMENT_JUDGE_IDS = uuid.UUID("0b7e6a2c-2f61-4d0e-8d8e-5d2c1f9a7e41")
STORED_WITHIN_S = 30.0  # how long an output's row may take to reach the store


@dataclass(frozen=True, slots=True)
class Scored:
    scores: dict[str, int | float]
    errors: list[str]


async def stored_bodies(
    engine: ClickHouseEngine, organization_id: str, request_id: str, within_s: float
) -> tuple[str, str] | None:
    """The call's bodies once its row is stored (rows reach the store in batches)."""
    deadline = asyncio.get_running_loop().time() + within_s
    wait_s = 0.05
    while True:
        bodies = await logged_bodies(engine, organization_id, request_id)
        if bodies is not None or asyncio.get_running_loop().time() >= deadline:
            return bodies
        await asyncio.sleep(wait_s)
        wait_s = min(wait_s * 2, 1.0)


async def score_output(
    runner: Runner,
    engine: ClickHouseEngine,
    evaluators: list[EvaluatorInfo],
    organization_id: str,
    request_id: str,
    within_s: float = STORED_WITHIN_S,
) -> Scored:
    """Run every evaluator on the logged call and write the scores it gave."""
    if not evaluators:
        return Scored({}, [])
    bodies = await stored_bodies(engine, organization_id, request_id, within_s)
    if bodies is None:
        return Scored({}, [f"request {request_id} is not in the log store"])
    call = CallToJudge(*bodies)
    scores: dict[str, int | float] = {}
    errors: list[str] = []
    for evaluator in evaluators:
        judge_id = str(uuid.uuid5(EXPERIMENT_JUDGE_IDS, f"{evaluator.id}:{request_id}"))
        try:
            scores[evaluator.score_name] = await runner.score(evaluator, call, judge_id)
        except HeliographError as exc:
            errors.append(f"{evaluator.name}: {exc.message}")
    if scores:
        await add_scores(engine, organization_id, request_id, scores)
    for error in errors:
        log.warning("experiment output %s was not scored: %s", request_id, error)
    return Scored(scores, errors)

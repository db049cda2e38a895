"""One evaluator run on one call: the judge through the gateway, or the Python sandbox."""

from __future__ import annotations

import math
from dataclasses import dataclass

from heliograph.errors import InvalidRequestError
from heliograph.evaluators.definition import PYTHON, EvaluatorInfo
from heliograph.evaluators.judge import CallToJudge, EvaluationError, JudgeCall, judge
from heliograph.evaluators.sandbox import PythonSandbox, SandboxResult

INT64_MAX = 2**63 - 1
PYTHON_OFF = "Python evaluators are turned off on this server (python_evaluators_enabled)"


@dataclass(frozen=True, slots=True)
class Runner:
    """What runs evaluators: the judge's way into the gateway and the Python sandbox, or
    None when Python evaluators are turned off."""

    call_gateway: JudgeCall
    sandbox: PythonSandbox | None

    async def score(
        self, evaluator: EvaluatorInfo, call: CallToJudge, judge_id: str
    ) -> int | float:
        """The evaluator's score for `call`; EvaluationError when it gives none."""
        if evaluator.scoring_type != PYTHON:
            return await judge(self.call_gateway, evaluator, call, judge_id)
        result = await self.python(evaluator.code_template or "", call)
        if result.error is not None:
            raise EvaluationError(result.error, status=422)
        return python_score(result.score)

    async def python(self, code: str, call: CallToJudge) -> SandboxResult:
        if self.sandbox is None:
            raise InvalidRequestError(PYTHON_OFF, status=403)
        return await self.sandbox.run(code, call.input_body, call.output_body)


def python_score(value: object) -> int | float:
    """A Python evaluator's result as stored: booleans as 1/0, finite, within Int64."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and abs(value) <= INT64_MAX:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) <= INT64_MAX else value
    raise EvaluationError(f"evaluate() returned {value!r:.100}: not a finite number", status=422)

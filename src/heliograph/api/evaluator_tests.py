"""REST: Helicone's `/v1/evaluator/python/test` and `/v1/evaluator/llm/test`, one evaluator
run on a call the body gives, nothing stored but the judge's logged call.

Both answer 200 whenever the evaluator ran: a Python error, a limit reached or a judge
without a verdict is in the answer (`statusCode` 500 and the error in `output`; `score` null
and `error`), as Helicone's Python test answers.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.evaluators import body_of, evaluators_of, json_object
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.evaluators import LlmTestResult, PythonTestResult
from heliograph.errors import HeliographError, InvalidRequestError
from heliograph.evaluators.definition import (
    EvaluatorInfo,
    code_of,
    name_of,
    scoring_type_of,
    template_of,
)
from heliograph.evaluators.judge import CallToJudge, EvaluationError, judge
from heliograph.evaluators.runner import python_score

router = APIRouter(tags=["Evaluator"])
MAX_TEST_TEXT = 1 << 20


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("ErrorEnvelope")}},
    }


def _text(field: str, value: Any, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{field}: must be a string")
    if len(value) > MAX_TEST_TEXT:
        raise InvalidRequestError(f"{field}: at most {MAX_TEST_TEXT} characters")
    return value


def _encoded(inputs: dict[str, Any]) -> str:
    try:
        return orjson.dumps(inputs).decode()
    except TypeError:  # an integer past 64 bits, which JSON allows
        return json.dumps(inputs, separators=(",", ":"), ensure_ascii=False)


def call_of(body: dict[str, Any]) -> CallToJudge:
    """Helicone's `TestInput` as the call to evaluate."""
    given = body.get("testInput")
    if not isinstance(given, dict):
        raise InvalidRequestError("testInput: required, an object with inputBody and outputBody")
    inputs = given.get("inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise InvalidRequestError("testInput.inputs: must be an object")
    return CallToJudge(
        _text("testInput.inputBody", given.get("inputBody")),
        _text("testInput.outputBody", given.get("outputBody")),
        _encoded(inputs or {}),
        _text("testInput.promptTemplate", given.get("promptTemplate"), required=False),
    )


@router.post(
    "/v1/evaluator/python/test",
    response_model=Envelope[PythonTestResult],
    openapi_extra=body_of("PythonTestBody"),
    responses={
        403: _error("Python evaluators are turned off on this server"),
        503: _error("Too many Python evaluations are waiting; retry shortly"),
    },
)
async def test_python_evaluator(request: Request, caller: Caller) -> dict[str, Any]:
    """Run Python code's `evaluate(request, response)` on `testInput` (its inputBody and
    outputBody, parsed when JSON) in the sandbox: `output` is the score, or the error that
    stopped it (refused network or file access, the CPU, memory or time limit)."""
    body = await json_object(request)
    code = code_of("code", body.get("code"))
    call = call_of(body)
    result = await evaluators_of(request).runner.python(code, call)
    if result.error is None:
        try:
            return ok(
                {
                    "output": str(python_score(result.score)),
                    "traces": result.traces,
                    "statusCode": 200,
                }
            )
        except EvaluationError as exc:
            return ok({"output": exc.message, "traces": result.traces, "statusCode": 500})
    return ok({"output": result.error, "traces": result.traces, "statusCode": 500})


def _judge_of(body: dict[str, Any], organization_id: str) -> EvaluatorInfo:
    config = body.get("evaluatorConfig")
    if not isinstance(config, dict):
        raise InvalidRequestError("evaluatorConfig: required, an object")
    scoring = scoring_type_of(
        "evaluatorConfig.evaluator_scoring_type", config.get("evaluator_scoring_type")
    )
    if scoring == "PYTHON":
        raise InvalidRequestError("evaluatorConfig.evaluator_scoring_type: an LLM-* type")
    template = template_of(
        "evaluatorConfig.evaluator_llm_template", config.get("evaluator_llm_template")
    )
    now = datetime.now(UTC)
    name = name_of(body.get("evaluatorName"))
    return EvaluatorInfo("", organization_id, name, scoring, template, None, now, now)


@router.post(
    "/v1/evaluator/llm/test",
    response_model=Envelope[LlmTestResult],
    openapi_extra=body_of("LlmTestBody"),
)
async def test_llm_evaluator(request: Request, caller: Caller) -> dict[str, Any]:
    """Run an LLM-as-judge evaluator once on `testInput`: the judge template filled in, sent
    through the gateway for the caller's organization (logged as `judgeRequestId`, with the
    `Helicone-Evaluator` property), its verdict read as a score of the scoring type."""
    body = await json_object(request)
    evaluator = _judge_of(body, caller.organization_id)
    call = call_of(body)
    judge_id = str(uuid.uuid4())
    runner = evaluators_of(request).runner
    try:
        score = await judge(runner.call_gateway, evaluator, call, judge_id)
    except HeliographError as exc:
        if not isinstance(exc, EvaluationError):
            raise
        return ok({"score": None, "error": exc.message, "judgeRequestId": judge_id})
    return ok({"score": score, "error": None, "judgeRequestId": judge_id})

"""LLM-as-judge: the evaluator's template filled with the call to judge, sent through
Heliograph's own gateway (logged and costed like any call), and the judge's answer read as
a score.

The template is an OpenAI chat completion body; `{{name}}` and Helicone's
`<helicone-prompt-input key="name" />` stand for `inputBody`, `outputBody`, `inputs` and
`promptTemplate`. The judge may answer as Helicone's judge does (a tool call whose arguments
hold the score under the evaluator's name) or in its message: a JSON object (the score under
the evaluator's name or `score`), or a bare number, `true` or `false`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import HeliographError, InvalidRequestError
from heliograph.evaluators.definition import EvaluatorInfo, template_text

# The property every judge call carries (Helicone's own judge sets it): rows with it are
# never evaluated, so a judge never triggers an evaluator.
JUDGE_PROPERTY = "Helicone-Evaluator"
JUDGE_HEADER = "Helicone-Property-" + JUDGE_PROPERTY
MAX_FILLED_CHARS = 1 << 20
PLACEHOLDER = re.compile(r'\{\{\s*(\w+)\s*\}\}|<helicone-prompt-input\s*key="(\w+)"\s*/>')
LAST_SCALAR = re.compile(r"(true|false|-?\d+(?:\.\d+)?)\W*$", re.IGNORECASE)

# (organization id, body, headers) -> (status, body): one call through the unified gateway.
JudgeCall = Callable[[str, bytes, dict[str, str]], Awaitable[tuple[int, bytes]]]


class JudgeLink:
    """The judge's way into the gateway, connected once the app that serves it is built
    (the gateway is built after the services that hold the evaluators)."""

    def __init__(self) -> None:
        self.target: JudgeCall | None = None

    async def __call__(
        self, organization_id: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.target is None:
            raise EvaluationError("The gateway is not running yet")
        return await self.target(organization_id, body, headers)


class EvaluationError(HeliographError):
    """The evaluator ran and gave no score (the judge failed, or its answer has none)."""

    status = 502
    kind = "upstream_error"


@dataclass(frozen=True, slots=True)
class CallToJudge:
    input_body: str
    output_body: str
    inputs: str = "{}"
    prompt_template: str = ""


def filled(template: dict[str, Any], call: CallToJudge) -> dict[str, Any]:
    """The template with its placeholders replaced; 400 past MAX_FILLED_CHARS."""
    values = {
        "inputBody": call.input_body,
        "outputBody": call.output_body,
        "inputs": call.inputs,
        "promptTemplate": call.prompt_template,
    }
    budget = [MAX_FILLED_CHARS]

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        text = values.get(name, match.group(0))
        budget[0] -= len(text)
        if budget[0] < 0:
            raise InvalidRequestError(f"The judge prompt would be over {MAX_FILLED_CHARS} chars")
        return text

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(value_of, value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    body: dict[str, Any] = walk(template)
    body["stream"] = False  # the score is read from the whole answer
    return body


async def judge(
    call_gateway: JudgeCall, evaluator: EvaluatorInfo, call: CallToJudge, request_id: str
) -> int | float:
    """Ask the judge; the score as stored (booleans as 1/0), or EvaluationError."""
    assert isinstance(evaluator.llm_template, dict)
    body = template_text(filled(evaluator.llm_template, call)).encode()
    headers = {JUDGE_HEADER: evaluator.name, "Helicone-Request-Id": request_id}
    status, answer = await call_gateway(evaluator.organization_id, body, headers)
    if not 200 <= status < 300:
        raise EvaluationError(f"The judge's call failed with HTTP {status}: {_excerpt(answer)}")
    return score_of(evaluator, _reply(answer))


def _excerpt(answer: bytes) -> str:
    return answer[:300].decode("utf-8", "replace")


def _reply(answer: bytes) -> Any:
    """The judge's verdict: tool call arguments or the message content, parsed if JSON."""
    text = _verdict_text(answer)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        found = LAST_SCALAR.search(text.strip())
        if found is None:
            raise EvaluationError(f"No score in the judge's answer: {text[:300]!r}") from None
        return orjson.loads(found.group(1).lower())


def _verdict_text(answer: bytes) -> str:
    try:
        message = orjson.loads(answer)["choices"][0]["message"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        message = None
    if not isinstance(message, dict):
        raise EvaluationError(f"The judge's answer is not a chat completion: {_excerpt(answer)}")
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls and isinstance(calls[0], dict):
        function = calls[0].get("function")
        text = function.get("arguments") if isinstance(function, dict) else None
    else:
        text = message.get("content")
    if not isinstance(text, str):
        raise EvaluationError("The judge answered no text and no tool call")
    return text


def score_of(evaluator: EvaluatorInfo, verdict: Any) -> int | float:
    """The score in a verdict, checked against the evaluator's scoring type."""
    if isinstance(verdict, dict):
        for key in (evaluator.name, evaluator.score_name, "score"):
            if key in verdict:
                verdict = verdict[key]
                break
        else:
            if len(verdict) != 1:
                raise EvaluationError(f"No score in the judge's answer: {verdict!r:.300}")
            verdict = next(iter(verdict.values()))
    kind = evaluator.scoring_type
    if kind == "LLM-BOOLEAN":
        if isinstance(verdict, str) and verdict.lower() in ("true", "false"):
            verdict = verdict.lower() == "true"
        if isinstance(verdict, bool) or verdict in (0, 1):
            return int(verdict)
        raise EvaluationError(f"A boolean evaluator's judge answered {verdict!r:.100}")
    if isinstance(verdict, str):
        with_number = LAST_SCALAR.search(verdict)
        verdict = None if with_number is None else orjson.loads(with_number.group(1).lower())
    if isinstance(verdict, bool) or not isinstance(verdict, int | float):
        raise EvaluationError(f"The judge's score is not a number: {verdict!r:.100}")
    if not math.isfinite(verdict):
        raise EvaluationError("The judge's score is not a finite number")
    if kind == "LLM-CHOICE" or float(verdict).is_integer():
        return int(verdict)
    return float(verdict)

"""Models of the evaluator endpoints (Helicone's `/v1/evaluator` family).

Bodies are validated by `heliograph.evaluators` so that every error names its field; the
request models here document them (what they allow, the server takes).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.config import JsonDict

from heliograph.api.schemas.components import JsonSchema, model_components
from heliograph.api.schemas.envelope import NON_BLANK, Answer, Number
from heliograph.evaluators.definition import MAX_NAME_CHARS
from heliograph.evaluators.online_config import MAX_FILTER_TEXT, MAX_PROPERTY_FILTERS

ScoringType = Literal["LLM-BOOLEAN", "LLM-CHOICE", "LLM-RANGE", "PYTHON"]
NO_NUL: JsonDict = {"not": {"pattern": "\u0000"}}
NAME: JsonDict = {"minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": "[A-Za-z0-9]", **NO_NUL}
CODE: JsonDict = {"minLength": 1, "maxLength": 16_000, "pattern": NON_BLANK, **NO_NUL}


class JudgeTemplate(BaseModel):
    """An OpenAI chat completion body; `{{inputBody}}`, `{{outputBody}}`, `{{inputs}}` and
    `{{promptTemplate}}` (or Helicone's `<helicone-prompt-input key="..." />`) are replaced
    by the call being judged. Other fields are sent as they are."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(max_length=256)
    messages: list[dict[str, Any]] = Field(max_length=100)


class LlmEvaluatorParams(BaseModel):
    """An LLM-as-judge evaluator: the judge's template and how its verdict is scored."""

    name: str = Field(json_schema_extra=NAME)
    scoring_type: Literal["LLM-BOOLEAN", "LLM-CHOICE", "LLM-RANGE"]
    llm_template: JudgeTemplate = Field(
        description="The judge template (its JSON text, as Helicone's dashboard sends it, too)"
    )


class PythonEvaluatorParams(BaseModel):
    """A Python evaluator: code defining `evaluate(request, response)`, returning a number or
    a boolean, run in a sandboxed subprocess."""

    name: str = Field(json_schema_extra=NAME)
    scoring_type: Literal["PYTHON"]
    code_template: str = Field(json_schema_extra=CODE)


class CreateEvaluatorParams(RootModel[LlmEvaluatorParams | PythonEvaluatorParams]):
    """Helicone's `CreateEvaluatorParams`: an LLM-as-judge evaluator or a PYTHON one."""


class UpdateEvaluatorParams(BaseModel):
    """Helicone's `UpdateEvaluatorParams`: fields left out are kept."""

    name: str | None = Field(None, json_schema_extra=NAME)
    scoring_type: ScoringType | None = Field(
        None, description="Changing the kind needs the new kind's template or code"
    )
    llm_template: JudgeTemplate | None = None
    code_template: str | None = Field(None, json_schema_extra=CODE)


class OnlinePropertyFilter(BaseModel):
    key: str = Field(min_length=1, max_length=MAX_FILTER_TEXT)
    value: str = Field(max_length=MAX_FILTER_TEXT)


class OnlineEvaluatorConfig(BaseModel):
    sampleRate: float = Field(100, ge=0, le=100, description="Percent of matching requests")
    propertyFilters: list[OnlinePropertyFilter] = Field([], max_length=MAX_PROPERTY_FILTERS)


class CreateOnlineEvaluatorParams(BaseModel):
    config: OnlineEvaluatorConfig


class TestInput(BaseModel):
    """Helicone's `TestInput`: the call to evaluate."""

    inputBody: str = Field(max_length=1 << 20)
    outputBody: str = Field(max_length=1 << 20)
    inputs: dict[str, Any] | None = None
    promptTemplate: str | None = Field(None, max_length=1 << 20)


class PythonTestBody(BaseModel):
    code: str = Field(json_schema_extra=CODE)
    testInput: TestInput


class LlmEvaluatorConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    evaluator_scoring_type: Literal[
        "LLM-BOOLEAN", "LLM-CHOICE", "LLM-RANGE", "boolean", "choice", "range"
    ]
    evaluator_llm_template: JudgeTemplate = Field(
        description="The judge template (its JSON text, as Helicone's dashboard sends it, too)"
    )


class LlmTestBody(BaseModel):
    evaluatorConfig: LlmEvaluatorConfig
    testInput: TestInput
    evaluatorName: str = Field(json_schema_extra=NAME)


class EvaluatorResult(Answer):
    """Helicone's `EvaluatorResult`, with the score name Heliograph writes."""

    id: str
    created_at: str
    updated_at: str
    organization_id: str
    name: str
    scoring_type: ScoringType
    llm_template: dict[str, Any] | None
    code_template: str | None
    last_mile_config: None = Field(None, description="Always null: LastMile is not supported")
    score_name: str = Field(description="**Heliograph**: the score its runs write")


class OnlineEvaluatorResult(Answer):
    id: str
    evaluator_id: str
    config: dict[str, Any] = Field(description="sampleRate and propertyFilters")
    created_at: str


class PythonTestResult(Answer):
    output: str = Field(description="The score as text, or the error")
    traces: list[str] = Field(description="What the code printed, line by line")
    statusCode: int = Field(description="200 when the code gave a score, else 500")


class LlmTestResult(Answer):
    score: Number | None = Field(description="The score as it would be stored (booleans 1/0)")
    error: str | None = Field(description="**Heliograph**: why there is no score")
    judgeRequestId: str = Field(description="**Heliograph**: the judge call's logged request")


class ScoreBucket(Answer):
    range: str = Field(description='Scores from the first number up to the second, e.g. "0-20"')
    count: int


class DailyScore(Answer):
    date: str = Field(description="A UTC day, YYYY-MM-DD")
    value: Number = Field(description="The average score of that day")


class EvaluatorStats(Answer):
    """Helicone's `EvaluatorStats`, from the scores under the evaluator's score name."""

    averageScore: Number = Field(description="Of every score; 0 when there is none")
    totalUses: int = Field(description="Requests holding the score")
    recentTrend: Literal["up", "down", "stable"] = Field(
        description="The last 7 days' average against the 7 days before"
    )
    scoreDistribution: list[ScoreBucket] = Field(description="Buckets 20 wide, lowest first")
    timeSeriesData: list[DailyScore] = Field(description="The last 30 days, oldest first")


class EvaluatorExperiment(Answer):
    experiment_id: str
    experiment_created_at: str
    experiment_name: str


COMPONENTS: dict[str, JsonSchema] = model_components(
    CreateEvaluatorParams,
    UpdateEvaluatorParams,
    CreateOnlineEvaluatorParams,
    PythonTestBody,
    LlmTestBody,
)

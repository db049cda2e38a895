"""Models of the experiment endpoints (/v2/experiment): Helicone's request bodies, and the
run, estimate and results bodies Heliograph adds. Limits are heliograph.experiments.rules'."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import UUID_PATTERN
from heliograph.api.schemas.prompts import Id
from heliograph.experiments.rules import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    MAX_INPUTS,
    MAX_NAME_CHARS,
    MAX_ROWS_PER_CALL,
    MAX_VARIANTS,
)
from heliograph.prompts.rules import ENVIRONMENT_PATTERN, MAX_ENVIRONMENT_CHARS, MAX_MODEL_CHARS

Uuid = Annotated[str, Field(pattern=UUID_PATTERN)]
Inputs = Annotated[dict[str, Any], Field(max_length=MAX_INPUTS)]
VersionIds = Annotated[list[Id], Field(min_length=1, max_length=MAX_VARIANTS)]


class NewExperiment(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    originalPromptVersion: Id = Field(description="The prompt version the others are compared to")


class ExperimentCreated(BaseModel):
    experimentId: str


class ExperimentVersionBody(BaseModel):
    """Either a new version (`newHeliconeTemplate`, after `parentPromptVersionId`) or an
    existing version of the experiment's prompt (`promptVersionId`) to compare."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["newHeliconeTemplate"],
                    "properties": {"newHeliconeTemplate": {"type": "object"}},
                },
                {
                    "required": ["promptVersionId"],
                    "properties": {"promptVersionId": {"type": "string"}},
                },
            ]
        }
    )

    parentPromptVersionId: Id | None = None
    newHeliconeTemplate: dict[str, Any] | None = Field(
        None, description="The new version's body: an OpenAI chat completion request"
    )
    promptVersionId: Id | None = None
    isMajorVersion: bool = False
    metadata: dict[str, Any] | None = Field(None, description="`label` names the version")


class ManualRow(BaseModel):
    inputs: Inputs


class ManualRows(BaseModel):
    inputs: list[Inputs] = Field(min_length=1, max_length=MAX_ROWS_PER_CALL)


class DeleteRows(BaseModel):
    inputRecordIds: list[Uuid] = Field(min_length=1, max_length=MAX_ROWS_PER_CALL)


class RowFromRecord(BaseModel):
    inputRecordId: Uuid = Field(description="The logged request the row's inputs came from")
    inputs: Inputs
    autoInputs: list[Any] = Field([], max_length=MAX_INPUTS)


class RowBatch(BaseModel):
    rows: list[RowFromRecord] = Field(min_length=1, max_length=MAX_ROWS_PER_CALL)


class RowUpdate(BaseModel):
    inputRecordId: Uuid
    inputs: Inputs


class RunHypothesis(BaseModel):
    promptVersionId: Id
    inputRecordId: Uuid


class EvaluatorRef(BaseModel):
    evaluatorId: Uuid


class RunBody(BaseModel):
    promptVersionIds: VersionIds | None = Field(None, description="Default: every version")
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)
    cache: bool = Field(False, description="Answer repeated calls from Heliograph's cache")
    model: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_MODEL_CHARS,
        description="A model (as the gateway takes it, e.g. `gpt-4o` or "
        "`claude-3-5-sonnet-20241022/anthropic`) over every version's own",
    )
    rateLimitPolicy: str | None = Field(
        None,
        max_length=256,
        description="A Helicone-RateLimit-Policy for the run's calls, e.g. `100;w=60`; "
        "a call it holds back is tried again until it passes",
    )


class EstimateBody(BaseModel):
    promptVersionIds: VersionIds | None = None
    model: str | None = Field(None, min_length=1, max_length=MAX_MODEL_CHARS)


class PromoteBody(BaseModel):
    promptVersionId: Id
    environment: str = Field(
        "production", min_length=1, max_length=MAX_ENVIRONMENT_CHARS, pattern=ENVIRONMENT_PATTERN
    )

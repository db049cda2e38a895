"""Bodies of the feedback, score and eval endpoints (validated by hand in api/scores.py, so
that a refused score is named in the error), and the eval answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from heliograph.api.schemas.components import JsonSchema, component
from heliograph.api.schemas.envelope import NON_BLANK, UUID_PATTERN, Answer, Number
from heliograph.api.schemas.filters import RequestFilter
from heliograph.api.schemas.timestamps import TIMESTAMP
from heliograph.store.evals import Increment
from heliograph.store.metrics_time import MAX_TIMEZONE_MINUTES

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_SCORES_PER_CALL = 100
MAX_SCORE_NAME_CHARS = 1000

FeedbackBody = Annotated[Any, component("FeedbackBody")]
LegacyFeedbackBody = Annotated[Any, component("LegacyFeedbackBody")]
ScoresBody = Annotated[Any, component("ScoreRequest")]
EvalBody = Annotated[Any, component("EvalBody")]

_SCORE_NAME: JsonSchema = {
    "type": "string",
    "pattern": NON_BLANK,
    "maxLength": MAX_SCORE_NAME_CHARS,
}
# An integer is stored exactly (in Int64 range); a fractional number as a 64-bit float.
_SCORE: JsonSchema = {
    "type": "number",
    "minimum": INT64_MIN,
    "maximum": INT64_MAX,
    "description": "Any finite number; integers within the 64-bit range",
}

COMPONENTS: dict[str, JsonSchema] = {
    "FeedbackBody": {
        "type": "object",
        "properties": {"rating": {"type": "boolean", "description": "true: positive"}},
        "required": ["rating"],
    },
    "LegacyFeedbackBody": {
        "type": "object",
        "properties": {
            "helicone-id": {
                "type": "string",
                "format": "uuid",
                "pattern": UUID_PATTERN,
                "description": "The request id (its Helicone-Id header)",
            },
            "rating": {"type": "boolean", "description": "true: positive"},
            "is-thumbs-up": {"type": "boolean", "description": "Older SDKs' name of rating"},
        },
        "required": ["helicone-id"],
        "anyOf": [{"required": ["rating"]}, {"required": ["is-thumbs-up"]}],
    },
    "ScoreRequest": {
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "propertyNames": {"pattern": NON_BLANK, "maxLength": MAX_SCORE_NAME_CHARS},
                "additionalProperties": {"anyOf": [_SCORE, {"type": "boolean"}]},
                "minProperties": 1,
                "maxProperties": MAX_SCORES_PER_CALL,
                "description": "Score name -> value: an integer (booleans as 1/0) or a "
                "fractional number such as 0.87, stored as sent",
            }
        },
        "required": ["scores"],
    },
    "EvalBody": {
        "type": "object",
        "properties": {"name": _SCORE_NAME, "score": _SCORE},
        "required": ["name", "score"],
    },
}


class LegacyFeedbackAnswer(Answer):
    """What Helicone's `/v1/feedback` answers, inside the envelope."""

    message: str
    helicone_id: str


class EvalTimeFilter(BaseModel):
    start: str | float = Field(json_schema_extra=TIMESTAMP)
    end: str | float = Field(json_schema_extra=TIMESTAMP)


_TIMEZONE: JsonSchema = {"minimum": -MAX_TIMEZONE_MINUTES, "maximum": MAX_TIMEZONE_MINUTES}
TIMEZONE_DESCRIPTION = "The browser's Date.getTimezoneOffset(): minutes from local time to UTC"


class EvalQueryParams(BaseModel):
    """Helicone's `EvalQueryParams`. `timeFilter.start` must not be after its end; for
    /v1/evals/query the window may hold at most 10000 hours (its hourly series is filled).
    `offset` and `limit` page through the score names."""

    filter: RequestFilter
    timeFilter: EvalTimeFilter
    offset: int | None = Field(None, ge=0)
    limit: int | None = Field(None, ge=0)
    # Checked by the store, which names the field in its message.
    timeZoneDifference: float = Field(
        0, description=TIMEZONE_DESCRIPTION, json_schema_extra=_TIMEZONE
    )


class CountAt(Answer):
    date: str
    count: int


class ValueAt(Answer):
    date: str
    value: Number


class Eval(Answer):
    """Helicone's `Eval`: one score name summarized over the window."""

    name: str
    averageScore: Number
    minScore: Number
    maxScore: Number
    count: int
    overTime: list[CountAt]
    averageOverTime: list[ValueAt]


class Bin(Answer):
    lower: Number
    upper: Number
    value: int


class ScoreDistribution(Answer):
    name: str
    distribution: list[Bin]


class ScoreOverTime(Answer):
    created_at_trunc: str
    score_key: str
    score_sum: float = Field(description="The AVERAGE value in the bucket (Helicone's name)")


class DataOverTimeRequest(BaseModel):
    """Helicone's `DataOverTimeRequest`; `timeFilter.start` must not be after its end."""

    timeFilter: EvalTimeFilter
    userFilter: RequestFilter = "all"
    dbIncrement: Increment
    timeZoneDifference: float = Field(
        0, description=TIMEZONE_DESCRIPTION, json_schema_extra=_TIMEZONE
    )

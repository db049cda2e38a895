"""REST: feedback and scores on a logged request.

Feedback is the score `helicone-score-feedback` (1 positive, 0 negative), as in Helicone.
Booleans become 1/0 and integral numbers (3, 3.0) are 64-bit integers, stored in Helicone's
`scores` Map(String, Int64). Fractional numbers (Ragas' 0.9999999999999998, as Helicone's own
cookbook posts them) are stored as sent, in a Float64 map beside it (store/scores.py); Jawn
answers 201 for them but drops them. NaN and Infinity are refused with a 400 naming the score.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.envelope import REQUEST_ID_SCHEMA, Envelope, ok
from heliograph.api.schemas.scores import (
    INT64_MAX,
    INT64_MIN,
    MAX_SCORE_NAME_CHARS,
    MAX_SCORES_PER_CALL,
    FeedbackBody,
    LegacyFeedbackAnswer,
    LegacyFeedbackBody,
    ScoresBody,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.helicone_headers import valid_uuid
from heliograph.meta.keys import Principal
from heliograph.store.filters import FEEDBACK_SCORE
from heliograph.store.scores import add_scores, request_logged

router = APIRouter(tags=["Request"])
# Malformed ids are refused by the handler (400), with its own message.
RequestId = Annotated[str, Path(json_schema_extra=REQUEST_ID_SCHEMA)]
BODY_REQUIRED = {"requestBody": {"required": True}}
# Feedback usually follows the LLM call at once, while its row may still be in the log
# pipeline's batch: wait up to one batch interval plus this margin before answering 404.
PENDING_ROW_GRACE_S = 2.0
PENDING_ROW_POLL_S = 0.1
INVALID_ID = "Invalid requestId: must be a valid UUID"
NOT_FOUND = "Request not found: no request with this id has been logged for your organization"


def score_value(field: str, value: Any, *, allow_bool: bool = True) -> int | float:
    """One score value as stored: an integer within Int64 (booleans as 1/0), or a fraction."""
    if isinstance(value, bool):
        if allow_bool:
            return int(value)
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidRequestError(f"{field} must be a finite number")
        if isinstance(value, float) and not value.is_integer():
            return value
        number = int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise InvalidRequestError(f"{field} is outside the 64-bit integer range")
        return number
    kinds = "a number or a boolean" if allow_bool else "a number"
    raise InvalidRequestError(f"{field} must be {kinds}, not {_json_type(value)}")


def score_name(field: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"{field} must be a non-empty string")
    if len(name) > MAX_SCORE_NAME_CHARS:
        raise InvalidRequestError(f"{field} is longer than {MAX_SCORE_NAME_CHARS} characters")
    return name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _object(body: Any, example: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequestError(f"Body must be a JSON object like {example}")
    return body


def parse_feedback(body: Any) -> dict[str, int]:
    """`{"rating": true|false}` -> the feedback score."""
    fields = _object(body, '{"rating": true}')
    if "rating" not in fields:
        raise InvalidRequestError('rating is required: send {"rating": true} or {"rating": false}')
    rating = fields["rating"]
    if not isinstance(rating, bool):
        raise InvalidRequestError(f"rating must be true or false, not {_json_type(rating)}")
    return {FEEDBACK_SCORE: int(rating)}


def parse_legacy_feedback(body: Any) -> tuple[str, dict[str, int]]:
    """`{"helicone-id": id, "rating": bool}` (older SDKs: `"is-thumbs-up"`) -> id, score."""
    fields = _object(body, '{"helicone-id": "<request id>", "rating": true}')
    request_id = fields.get("helicone-id")
    if not isinstance(request_id, str):
        raise InvalidRequestError(
            f"helicone-id must be the request id (a string), not {_json_type(request_id)}"
        )
    if "rating" not in fields and "is-thumbs-up" in fields:
        fields = {"rating": fields["is-thumbs-up"]}
    return request_id, parse_feedback(fields)


def parse_scores(body: Any) -> dict[str, int | float]:
    """`{"scores": {"name": number|bool, ...}}` -> name -> stored value."""
    fields = _object(body, '{"scores": {"accuracy": 92}}')
    if "scores" not in fields:
        raise InvalidRequestError('scores is required: send {"scores": {"accuracy": 92}}')
    scores = fields["scores"]
    if not isinstance(scores, dict):
        raise InvalidRequestError(
            f"scores must be an object of name -> number|boolean, not {_json_type(scores)}"
        )
    if not scores:
        raise InvalidRequestError("scores must hold at least one score")
    if len(scores) > MAX_SCORES_PER_CALL:
        raise InvalidRequestError(f"scores holds more than {MAX_SCORES_PER_CALL} scores")
    return {
        score_name("scores keys", name): score_value(f"scores.{name}", value)
        for name, value in scores.items()
    }


async def _logged(request: Request, organization_id: str, request_id: str) -> bool:
    services = services_of(request)
    if await request_logged(services.engine, organization_id, request_id):
        return True
    pipeline = services.pipeline
    deadline = time.monotonic() + services.settings.log_batch_ms / 1000 + PENDING_ROW_GRACE_S
    while pipeline.stats.submitted > pipeline.stats.stored and time.monotonic() < deadline:
        await asyncio.sleep(PENDING_ROW_POLL_S)
        if await request_logged(services.engine, organization_id, request_id):
            return True
    return False


async def score_request(
    request: Request, caller: Principal, request_id: str, scores: Mapping[str, int | float]
) -> dict[str, Any]:
    """Merge `scores` into a logged request of the caller's organization."""
    if isinstance(scores.get(FEEDBACK_SCORE), float):
        # Feedback is a rating read from the integer map, as in Helicone.
        raise InvalidRequestError(
            f"{FEEDBACK_SCORE} is the feedback rating: send an integer (1 or 0)"
        )
    canonical = valid_uuid(request_id)
    if canonical is None:
        raise InvalidRequestError(INVALID_ID)
    if not await _logged(request, caller.organization_id, canonical):
        raise NotFoundError(NOT_FOUND)
    await add_scores(services_of(request).engine, caller.organization_id, canonical, scores)
    return ok(None)


@router.post(
    "/v1/request/{request_id}/feedback",
    response_model=Envelope[None],
    openapi_extra=BODY_REQUIRED,
)
async def feedback_request(
    request_id: RequestId,
    request: Request,
    caller: Caller,
    body: Annotated[FeedbackBody, Body()] = None,
) -> dict[str, Any]:
    """Rate a logged request: `{"rating": true}` (positive) or `{"rating": false}`."""
    return await score_request(request, caller, request_id, parse_feedback(body))


@router.post(
    "/v1/feedback",
    response_model=Envelope[LegacyFeedbackAnswer],
    openapi_extra=BODY_REQUIRED,
)
async def legacy_feedback(
    request: Request, caller: Caller, body: Annotated[LegacyFeedbackBody, Body()] = None
) -> dict[str, Any]:
    """Helicone's older feedback route: rates the request named by `helicone-id`, exactly as
    `/v1/request/{id}/feedback` does."""
    request_id, score = parse_legacy_feedback(body)
    await score_request(request, caller, request_id, score)
    message = {"message": "Feedback added successfully.", "helicone_id": request_id}
    return ok(message)


@router.post(
    "/v1/request/{request_id}/score",
    response_model=Envelope[None],
    openapi_extra=BODY_REQUIRED,
    status_code=201,  # Jawn's AddScores answers 201 (its feedback route 200)
)
async def score_logged_request(
    request_id: RequestId,
    request: Request,
    caller: Caller,
    body: Annotated[ScoresBody, Body()] = None,
) -> dict[str, Any]:
    """Add or update named scores of a logged request; other scores are kept."""
    return await score_request(request, caller, request_id, parse_scores(body))

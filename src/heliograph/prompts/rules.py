"""What a prompt, a version and a body may be: the limits, and turning a body into its bytes.

The REST models (api/schemas/prompts.py) document the same limits; these checks are what the
service relies on whoever calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from heliograph.errors import HeliographError, InvalidRequestError

MAX_NAME_CHARS = 255
MAX_TAGS = 50
MAX_TAG_CHARS = 100
MAX_ENVIRONMENT_CHARS = 64
MAX_ENVIRONMENTS_PER_PROMPT = 32
MAX_VERSIONS_PER_PROMPT = 1000
MAX_COMMIT_MESSAGE_CHARS = 2000
MAX_MODEL_CHARS = 256
MAX_SEARCH_CHARS = 200
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_ID_CHARS = 64
# What GET /v1/prompt-2025/tags and /environments answer at most (sorted, the first ones).
MAX_LISTED_NAMES = 1000
MAX_BODY_BYTES = 1024 * 1024
PRODUCTION = "production"
FIRST_COMMIT_MESSAGE = "First version."  # Helicone's, for the version a prompt is created with
# At least one visible character and no control character (C0 or C1).
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
ENVIRONMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class BodyTooLarge(HeliographError):
    status = 413
    kind = "invalid_request_error"


class Conflict(HeliographError):
    """The prompt's state forbids the change (a limit reached, the production version)."""

    status = 409
    kind = "conflict_error"


def clean_tags(tags: list[str]) -> list[str]:
    """Trimmed, without empty ones or repeats, in the order given (as Helicone's PATCH)."""
    kept = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    if len(kept) > MAX_TAGS or any(len(tag) > MAX_TAG_CHARS for tag in kept):
        raise InvalidRequestError(f"tags: at most {MAX_TAGS}, of {MAX_TAG_CHARS} characters each")
    return kept


def encode_body(body: dict[str, Any]) -> bytes:
    """The body as stored and served: compact JSON, at most MAX_BODY_BYTES."""
    try:
        encoded = orjson.dumps(body)
    except orjson.JSONEncodeError:  # nested deeper than orjson follows (255 levels)
        raise InvalidRequestError("promptBody: nested too deeply") from None
    if len(encoded) > MAX_BODY_BYTES:
        raise BodyTooLarge(
            f"promptBody: {len(encoded)} bytes as JSON; a prompt body holds at most "
            f"{MAX_BODY_BYTES} bytes"
        )
    return encoded


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip() or len(model) > MAX_MODEL_CHARS:
        raise InvalidRequestError(
            f"promptBody.model: required, a model name of at most {MAX_MODEL_CHARS} characters"
        )
    return model


def js_iso(moment: datetime) -> str:
    """JavaScript's `toISOString()`, as Helicone's API writes its timestamps."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

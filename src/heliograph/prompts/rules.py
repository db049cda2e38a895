"""What a prompt, a version and a body may be: the limits, and turning a body into its bytes.

The REST models (api/schemas/prompts.py) document the same limits; these checks are what the
service relies on whoever calls it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

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
MAX_PLAYGROUND_INPUTS = 200  # inputs of one playground run (api/prompt_playground.py)
MAX_BODY_DEPTH = 64
PRODUCTION = "production"
FIRST_COMMIT_MESSAGE = "First version."  # Helicone's, for the version a prompt is created with
# At least one visible character and no control character (C0 or C1).
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
ENVIRONMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# No control character (PostgreSQL's text cannot hold NUL); TEXT_PATTERN allows line breaks
# and tabs. Ids are looked up, never stored from here, but a NUL would fail the query.
PLAIN_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


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


def check_depth(body: dict[str, Any]) -> None:
    """Objects and arrays at most MAX_BODY_DEPTH deep (the body itself is level 1): what the
    v2 answers' serializer, which has a depth limit of its own, can always write back."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_BODY_DEPTH:
            raise InvalidRequestError(
                f"promptBody: nested too deeply (objects and arrays {MAX_BODY_DEPTH} levels "
                "deep at most)"
            )
        pending.extend((child, depth + 1) for child in children)


def encode_body(body: dict[str, Any]) -> bytes:
    """The body as stored and served: compact JSON (UTF-8), at most MAX_BODY_BYTES."""
    check_depth(body)
    try:
        # The standard library's encoder, not orjson's: JSON allows integers past 64 bits.
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        encoded = text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError("promptBody: a string holds an unpaired surrogate") from None
    except ValueError:
        raise InvalidRequestError("promptBody: NaN and Infinity are not JSON numbers") from None
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

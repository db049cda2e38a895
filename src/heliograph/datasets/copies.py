"""What a dataset row holds: a copy of a logged request and its response, taken when the
request was curated (or read from an imported file), as a typed value."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from heliograph.datasets.rules import MAX_BODY_CHARS
from heliograph.errors import InvalidRequestError


@dataclass(frozen=True)
class RowCopy:
    """The bodies as JSON text, and what the CSV export shows of the logged call."""

    origin_request_id: str | None
    model: str
    request_body: str
    response_body: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    request_created_at: datetime | None = None
    inputs: dict[str, Any] | None = None


def json_bytes(value: Any) -> bytes:
    """`value` as compact JSON (the stdlib writes what orjson cannot: integers past 64 bits,
    which JSON allows)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def body_text(body: Any, what: str) -> str:
    """`body` as JSON text, refused past MAX_BODY_CHARS (a row is read whole)."""
    text = json_bytes(body).decode()
    if len(text) > MAX_BODY_CHARS:
        raise InvalidRequestError(f"{what} is larger than {MAX_BODY_CHARS} characters")
    return text


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_model(model: str) -> str:
    """A model name fit for the row (no control characters: PostgreSQL text holds no NUL)."""
    return CONTROL.sub("", model)[:256]


def parsed_body(text: str) -> Any:
    """A body copy read back (the stdlib reads what orjson cannot: integers past 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def copy_of_logged(row: dict[str, Any]) -> RowCopy:
    """A row copied from a logged request in Helicone's request shape (store/requests.py)."""
    request_id = str(row["request_id"])
    cost = row.get("cost")
    return RowCopy(
        origin_request_id=request_id,
        model=clean_model(str(row.get("model") or "")),
        request_body=body_text(row.get("request_body"), f"Request {request_id}'s body"),
        response_body=body_text(row.get("response_body"), f"Request {request_id}'s response"),
        prompt_tokens=_int(row.get("prompt_tokens")),
        completion_tokens=_int(row.get("completion_tokens")),
        cost=float(cost) if isinstance(cost, int | float) else None,
        request_created_at=_moment(row.get("request_created_at")),
    )

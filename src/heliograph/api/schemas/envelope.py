"""Helicone's success envelope, `{"data": ..., "error": null}`, and shared field types."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, WithJsonSchema

T = TypeVar("T")

# An integer stays an integer (5, not 5.0) in the answer, exactly as the store returned it.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# Holds a character that str.strip() keeps (what "non-empty after trimming" means here).
NON_BLANK = "[^\\s\\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
# How an id path parameter is documented; the handler decides what a malformed id answers.
REQUEST_ID_SCHEMA = {"format": "uuid", "pattern": UUID_PATTERN, "description": "A request id"}


def ok(data: T) -> dict[str, T | None]:
    """Helicone's success envelope around `data`: every route answers with this."""
    return {"data": data, "error": None}


class Envelope(BaseModel, Generic[T]):
    """A successful answer: the data, and `error: null`."""

    data: T
    error: None = None


class Answer(BaseModel):
    """A response object: every key documented, no other key ever sent."""

    model_config = ConfigDict(extra="forbid")

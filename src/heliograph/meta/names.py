"""The names people give API keys and organizations: checked once, for the CLI and the API."""

from __future__ import annotations

import unicodedata

from heliograph.errors import InvalidRequestError

MAX_NAME_CHARS = 200  # the name columns of organizations and api_keys are String(200)
# How the OpenAPI document describes a valid name: a character that is not white space,
# and no control character (C0, DEL, C1) anywhere.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"


def checked_name(what: str, text: str) -> str:
    """`text` trimmed, or InvalidRequestError saying why `what` ("key name") cannot be it."""
    name = text.strip()
    if not name:
        raise InvalidRequestError(f"{what} must not be blank")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidRequestError(
            f"{what} must be at most {MAX_NAME_CHARS} characters, not {len(name)}"
        )
    categories = {unicodedata.category(char) for char in name}
    if "Cc" in categories:  # a NUL cannot even be stored in PostgreSQL
        raise InvalidRequestError(f"{what} must not contain control characters")
    if "Cs" in categories:  # lone surrogates: a JSON \ud800 escape, undecodable argv bytes
        raise InvalidRequestError(f"{what} must be valid Unicode text")
    return name

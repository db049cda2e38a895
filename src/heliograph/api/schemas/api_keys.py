"""Models of the dashboard's API-key endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.text import STORABLE_TEXT

MAX_NAME_CHARS = 200


class NewApiKey(BaseModel):
    # Blank names and NUL characters are refused by the handler, with its own message.
    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra={"pattern": STORABLE_TEXT},
        description="Stored trimmed",
    )


class ApiKey(Answer):
    """A live key, as a preview only."""

    id: str
    name: str
    preview: str
    created_at: str
    current: bool = Field(description="Whether this is the key the caller is using")
    configured: bool = Field(
        description="Whether this is the server's HELIOGRAPH_API_KEY (revoked only there)"
    )


class CreatedApiKey(Answer):
    id: str
    name: str
    apiKey: str = Field(description="The full key: shown this once")

"""Models of the dashboard's API-key endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.meta.names import MAX_NAME_CHARS, NAME_PATTERN


class NewApiKey(BaseModel):
    # Blank names and control characters are refused by the handler (meta/names.py), with
    # its own message; the pattern only documents them.
    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra={"pattern": NAME_PATTERN},
        description="Stored trimmed; no control characters",
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

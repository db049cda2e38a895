"""Models of the property endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from heliograph.api.schemas.envelope import NON_BLANK, Answer, Number
from heliograph.api.schemas.timestamps import ISO_TIMESTAMP

MAX_PROPERTY_KEY_CHARS = 1000  # as a property header's name may be long


class PropertySearch(BaseModel):
    searchTerm: str = Field("", description="Case-insensitive substring of the value")
    limit: int = Field(100, ge=1, le=1000)


class TimeFilter(BaseModel):
    start: str | None = Field(
        default=None, json_schema_extra={"anyOf": [ISO_TIMESTAMP, {"type": "null"}]}
    )
    end: str | None = Field(
        default=None, json_schema_extra={"anyOf": [ISO_TIMESTAMP, {"type": "null"}]}
    )


class PropertyMetricsQuery(BaseModel):
    timeFilter: TimeFilter | None = None
    limit: int = Field(100, ge=1, le=1000)


class PropertyKeyCount(Answer):
    property: str
    count: int = Field(description="Requests carrying the property")


class PropertyValueMetrics(Answer):
    value: str
    requests: int
    cost: Number = Field(description="USD")
    average_latency: Number | None = Field(description="ms; null when no request has one")
    total_tokens: int


class PropertyKeyBody(BaseModel):
    """The body of Helicone's `/v1/property/hide` and `/v1/property/restore`."""

    key: str = Field(
        min_length=1,
        max_length=MAX_PROPERTY_KEY_CHARS,
        pattern=NON_BLANK,
        description="A custom property key (matched case-insensitively)",
    )


class HiddenProperty(Answer):
    property: str


class HideAnswer(Answer):
    ok: bool

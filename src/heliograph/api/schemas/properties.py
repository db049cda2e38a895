"""Models of the property endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from heliograph.api.schemas.envelope import Answer, Number
from heliograph.api.schemas.timestamps import ISO_TIMESTAMP


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

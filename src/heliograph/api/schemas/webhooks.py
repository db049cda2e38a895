"""Models of the webhook endpoints: Helicone's `WebhookData`, its webhook row, deliveries.

The body is validated by `heliograph.webhooks.rules` so that every error names its field;
the request models here only document it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.components import JsonSchema, model_components
from heliograph.api.schemas.envelope import Answer
from heliograph.webhooks.rules import (
    DESTINATION_PATTERN,
    MAX_DESTINATION_LENGTH,
    MAX_FILTER_TEXT,
    MAX_PROPERTY_FILTERS,
)

DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookPropertyFilter(BaseModel):
    """A custom property the request must have, with exactly this value (the property name
    is matched case-insensitively)."""

    key: str = Field(min_length=1, max_length=MAX_FILTER_TEXT)
    value: str = Field(max_length=MAX_FILTER_TEXT)


class WebhookConfigData(BaseModel):
    """Helicone's webhook `config`; other keys are ignored."""

    sampleRate: float = Field(
        100, ge=0, le=100, description="Percent of the matching requests sent"
    )
    propertyFilters: list[WebhookPropertyFilter] = Field(
        [], max_length=MAX_PROPERTY_FILTERS, description="Every filter must match"
    )
    includeData: bool | None = Field(
        None, description="Taken when the top-level includeData is absent or null"
    )


class WebhookData(BaseModel):
    """Helicone's `WebhookData`."""

    model_config = ConfigDict(extra="forbid")

    destination: str = Field(
        max_length=MAX_DESTINATION_LENGTH,
        pattern=DESTINATION_PATTERN,
        description="An http:// or https:// URL with a host",
    )
    config: WebhookConfigData
    includeData: bool | None = Field(
        None,
        description="Send the model, provider and metadata with each request (default true)",
    )


class Webhook(Answer):
    """Helicone's webhook row."""

    id: str
    created_at: str
    destination: str
    version: str
    config: str = Field(
        description="The config (sampleRate, propertyFilters, includeData) as "
        "JSON text, as Helicone answers it"
    )
    hmac_key: str = Field(
        description="The signing secret: in full only in the creation answer, a preview after"
    )


class DeliveryAttempt(Answer):
    attempt: int
    status_code: int | None = Field(description="The destination's HTTP status, if it answered")
    error: str | None
    duration_ms: int
    attempted_at: str


class WebhookDelivery(Answer):
    """**Heliograph**: one request sent (or being sent) to a webhook, with every attempt."""

    id: str
    request_id: str
    status: DeliveryStatus
    attempt_count: int
    created_at: str
    next_attempt_at: str | None
    completed_at: str | None
    attempts: list[DeliveryAttempt]


class WebhookTestDelivery(Answer):
    """**Heliograph**: what one test delivery did (it is not queued, retried or logged)."""

    webhook_id: str
    request_id: str = Field(description="The made-up request the test payload describes")
    delivered: bool = Field(description="Whether the destination answered 2xx")
    status_code: int | None = Field(description="The destination's HTTP status, if it answered")
    error: str | None = Field(description="Why it was not delivered (a status, a timeout...)")
    duration_ms: int


COMPONENTS: dict[str, JsonSchema] = model_components(WebhookData)

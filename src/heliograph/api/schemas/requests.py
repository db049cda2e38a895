"""Models of the request endpoints: the query body, the sort leaf, property updates and
Helicone's `HeliconeRequest` row."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from heliograph.api.schemas.components import JsonSchema, component
from heliograph.api.schemas.envelope import NON_BLANK, UUID_PATTERN, Answer, Number
from heliograph.api.schemas.filters import RequestFilter
from heliograph.store.filters import RMT_FIELDS
from heliograph.store.sorting import SORT_ALIASES

MAX_QUERY_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_PROPERTY_BYTES = 64 * 1024
MAX_PROPERTY_KEY_CHARS = 1000

SortLeaf = Annotated[Any, component("SortLeafRequest")]
PropertyUpdateBody = Annotated[Any, component("PropertyUpdate")]


class RequestQueryParams(BaseModel):
    """Helicone's `RequestQueryParams`; other keys are ignored."""

    filter: RequestFilter = "all"
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    # Checked by the handler, which names the bound in its message.
    limit: int = Field(100, json_schema_extra={"minimum": 0, "maximum": MAX_QUERY_LIMIT})
    sort: SortLeaf = None
    isCached: bool = Field(False, description="Only requests answered from the cache")
    includeInputs: bool = Field(True, description="Accepted for compatibility; bodies are sent")
    isPartOfExperiment: bool = Field(False, description="Accepted for compatibility; ignored")
    isScored: bool = Field(False, description="Only requests with at least one score")


class RequestIdsBody(BaseModel):
    """Helicone's body of `/v1/request/query-ids`."""

    requestIds: list[Annotated[str, Field(pattern=UUID_PATTERN)]] = Field(
        max_length=MAX_QUERY_LIMIT, description=f"At most {MAX_QUERY_LIMIT} request ids"
    )


class HeliconeRequest(Answer):
    """One logged request in Helicone's request-row shape; cost in USD."""

    response_id: str | None
    response_body: Any = Field(description="The response as JSON (a string if it was not JSON)")
    response_created_at: str | None
    response_status: int
    response_model: Any = Field(description="`model` of the response body, when it has one")
    request_id: str
    request_body: Any = Field(description="The request as JSON (a string if it was not JSON)")
    request_created_at: str
    request_user_id: str
    request_properties: dict[str, str]
    request_model: str
    request_path: str | None
    model: str
    model_override: str | None = Field(
        description="Always null: the row keeps the model that ran (`model`), not whether "
        "Helicone-Model-Override chose it"
    )
    provider: str
    delay_ms: int | None = Field(description="Latency, ms")
    time_to_first_token: int | None = Field(description="ms, streams only")
    total_tokens: int
    prompt_tokens: int | None
    completion_tokens: int | None
    reasoning_tokens: int
    prompt_cache_read_tokens: int
    prompt_cache_write_tokens: int
    prompt_audio_tokens: int
    completion_audio_tokens: int
    ai_gateway_body_mapping: str
    country_code: str | None
    scores: dict[str, Number] = Field(
        description="Score name -> value: integers (booleans as 1/0) and fractional scores"
    )
    properties: dict[str, str]
    asset_ids: list[str] = Field(description="Ids of the images in the bodies")
    asset_urls: dict[str, str] = Field(
        description="Asset id -> the image's URL (http(s), or `data:` for an inline image); "
        "filled for one request read by id, empty in query answers"
    )
    assets: list[str] = Field(description="Same as `asset_ids`")
    target_url: str | None
    cache_reference_id: str
    cache_enabled: bool
    request_referrer: str
    cost: float = Field(description="USD")
    costUSD: float = Field(description="Same as `cost`: USD")
    prompt_id: str
    prompt_version: str
    updated_at: str
    storage_location: str
    size_bytes: int
    signed_body_url: None
    helicone_user: str | None = Field(description="Always null: not kept in a row")
    llmSchema: None = Field(
        description="Always null, as in Jawn's rows (Helicone's frontend maps the bodies)"
    )
    feedback_rating: bool | None
    feedback_id: None
    feedback_created_at: None
    moderation: Literal["", "clean", "flagged", "error_allowed", "error_blocked"] = Field(
        description="Heliograph's own: the Helicone-Moderations-Enabled check of the latest "
        "user message. Empty: not checked; `error_allowed` / `error_blocked`: no verdict, the "
        "call sent / refused as `moderation_fail` says (docs/security.md#moderation)"
    )
    moderation_categories: list[str] = Field(
        description="The OpenAI moderation categories the check flagged"
    )
    threat: bool | None = Field(
        description="Heliograph's own: Helicone-LLM-Security-Enabled's base tier. Null: not "
        "checked; true: a prompt injection or jailbreak detected, the call refused "
        "(docs/security.md#llm-security)"
    )


_DIRECTION: JsonSchema = {"enum": ["asc", "desc"]}
_BY_KEY: JsonSchema = {
    "type": "object",
    "additionalProperties": _DIRECTION,
    "minProperties": 1,
    "maxProperties": 1,
}
_SORTABLE = sorted(
    {*SORT_ALIASES, *RMT_FIELDS} - {"organization_id", "random", "properties", "values"}
)
_PROPERTY_VALUE: JsonSchema = {
    "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
}

COMPONENTS: dict[str, JsonSchema] = {
    "SortLeafRequest": {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "random": {"description": "Any value: random order"},
                    "is_cached": _DIRECTION,
                    "properties": _BY_KEY,
                    "values": _BY_KEY,
                    **{name: _DIRECTION for name in _SORTABLE},
                },
                "additionalProperties": False,
                "maxProperties": 1,
            },
            {"type": "null"},
        ],
        "description": "One column and its direction (default: newest first)",
    },
    "PropertyUpdate": {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "pattern": NON_BLANK},
                    "value": _PROPERTY_VALUE,
                },
                "required": ["key", "value"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "propertyNames": {"pattern": NON_BLANK},
                "additionalProperties": _PROPERTY_VALUE,
                "minProperties": 1,
                # A {key, value} pair reads as the first form, never as a map.
                "not": {"required": ["key", "value"], "maxProperties": 2},
                "description": "A map of properties to set",
            },
        ],
        "description": '{"key": K, "value": V}, or a map {"K1": "V1", ...}; numbers and '
        f"booleans are stored as text; at most {MAX_PROPERTY_BYTES} bytes of keys and values",
    },
}

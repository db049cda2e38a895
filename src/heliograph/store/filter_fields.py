"""The fields of Helicone's filter language, each an SQL expression of a request row.

`RMT_FIELDS` are `request_response_rmt`'s columns (sortable too); the legacy Postgres-era
tables (`request`, `response`, `feedback`) name the same row's fields by older names.
"""

from __future__ import annotations

from heliograph.store.filter_conditions import Field
from heliograph.store.filter_tables import API_KEY
from heliograph.store.scores import EFFECTIVE_SCORES

_TOTAL_TOKENS = "(ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0))"
FEEDBACK_SCORE = "helicone-score-feedback"

RMT_FIELDS: dict[str, Field] = {
    "request_id": Field("request_id", "uuid"),
    "organization_id": Field("organization_id", "uuid"),
    "request_created_at": Field("request_created_at", "timestamp"),
    "response_created_at": Field("response_created_at", "timestamp", nullable=True),
    "status": Field("status", "number"),
    "latency": Field("latency", "number", nullable=True),
    "time_to_first_token": Field("time_to_first_token", "number", nullable=True),
    "model": Field("model", "text"),
    "provider": Field("provider", "text"),
    "user_id": Field("user_id", "text"),
    "country_code": Field("country_code", "text", nullable=True),
    "target_url": Field("target_url", "text", nullable=True),
    "prompt_id": Field("prompt_id", "text"),
    "prompt_version": Field("prompt_version", "text"),
    "request_referrer": Field("request_referrer", "text"),
    "prompt_tokens": Field("prompt_tokens", "number", nullable=True),
    "completion_tokens": Field("completion_tokens", "number", nullable=True),
    "prompt_cache_read_tokens": Field("prompt_cache_read_tokens", "number"),
    "prompt_cache_write_tokens": Field("prompt_cache_write_tokens", "number"),
    "prompt_audio_tokens": Field("prompt_audio_tokens", "number"),
    "completion_audio_tokens": Field("completion_audio_tokens", "number"),
    "reasoning_tokens": Field("reasoning_tokens", "number"),
    "total_tokens": Field(_TOTAL_TOKENS, "number"),
    "cost": Field("cost", "cost"),
    "threat": Field("threat", "bool", nullable=True),
    "moderation": Field("moderation", "text"),
    "cache_enabled": Field("cache_enabled", "bool"),
    "is_passthrough_billing": Field("is_passthrough_billing", "bool"),
    "cache_reference_id": Field("cache_reference_id", "uuid"),
    "request_body": Field("request_body", "body"),
    "response_body": Field("response_body", "body"),
    "size_bytes": Field("size_bytes", "number"),
    "gateway_router_id": Field("gateway_router_id", "text"),
    "storage_location": Field("storage_location", "text"),
    # -1 when unrated (a missing Map key reads 0): `equals: false` must not match unrated rows.
    FEEDBACK_SCORE: Field(
        f"if(mapContains(scores, '{FEEDBACK_SCORE}'), scores['{FEEDBACK_SCORE}'], -1)", "bool"
    ),
}

# Fields of Helicone's request_response_rmt filter leaf that are not plain columns here, nor
# sortable (so apart from RMT_FIELDS). A "list" field matches when one of its strings does
# (not-equals and not-contains: when none does).
EXTRA_RMT_FIELDS: dict[str, Field] = {
    # Helicone's legacy job columns: no Heliograph request belongs to a job or node.
    "node_id": Field("''", "text"),
    "job_id": Field("''", "text"),
    "assets": Field("assets", "list"),
    "auth_hash": API_KEY,  # request_response_log's: which API key logged the request
    # The names of the request's scores, integer and fractional.
    "scores_column": Field(f"mapKeys({EFFECTIVE_SCORES})", "list"),
    # Not sent because of Helicone-Moderations-Enabled: flagged, or refused with no verdict.
    "moderation_blocked": Field("moderation IN ('flagged', 'error_blocked')", "bool"),
}

HAS_FEEDBACK = f"mapContains(scores, '{FEEDBACK_SCORE}')"
FEEDBACK_ID = "feedback_id"  # no counterpart: only its presence ("null" or not) is read
# The first choice's text (OpenAI chat or completions, Anthropic messages), else the body.
_COMPLETION_TEXT = (
    "multiIf("
    "JSONHas(response_body, 'choices', 1, 'message', 'content'), "
    "JSONExtractString(response_body, 'choices', 1, 'message', 'content'), "
    "JSONHas(response_body, 'choices', 1, 'text'), "
    "JSONExtractString(response_body, 'choices', 1, 'text'), "
    "JSONHas(response_body, 'content', 1, 'text'), "
    "JSONExtractString(response_body, 'content', 1, 'text'), response_body)"
)
# Fields only legacy tables name. A request has at most one rating, kept as a score: it has
# no id or time of its own; its time is the request's last change (rating, score or property).
LEGACY_ONLY_FIELDS: dict[str, Field] = {
    "completion_text": Field(_COMPLETION_TEXT, "body"),
    "feedback_created_at": Field(
        f"if({HAS_FEEDBACK}, updated_at, NULL)", "timestamp", nullable=True
    ),
    "feedback_response_id": Field(f"if({HAS_FEEDBACK}, response_id, NULL)", "uuid", nullable=True),
}

# Legacy (Postgres-era) tables of Helicone's filter language, mapped onto the same row.
LEGACY_FIELDS: dict[str, dict[str, str]] = {
    "request": {
        "id": "request_id",
        "created_at": "request_created_at",
        "user_id": "user_id",
        "model": "model",
        "prompt": "request_body",
        "path": "target_url",
        "country_code": "country_code",
        "prompt_id": "prompt_id",
        "auth_hash": "auth_hash",
        "org_id": "organization_id",
        "node_id": "node_id",
        # The model that ran: Heliograph's `model` is already Helicone-Model-Override's.
        "modelOverride": "model",
    },
    "response": {
        "status": "status",
        "body_model": "model",
        "model": "model",
        "body_tokens": "total_tokens",
        "body_prompt_tokens": "prompt_tokens",
        "body_completion_tokens": "completion_tokens",
        "delay_ms": "latency",
        "latency": "latency",
        "time_to_first_token": "time_to_first_token",
        "created_at": "response_created_at",
        "completion": "response_body",
        "body": "response_body",
        "body_completion": "completion_text",
    },
    "feedback": {
        "rating": FEEDBACK_SCORE,
        "id": FEEDBACK_ID,
        "created_at": "feedback_created_at",
        "response_id": "feedback_response_id",
    },
    "sessions_request_response_rmt": {
        "session_session_id": "properties:Helicone-Session-Id",
        "session_session_name": "properties:Helicone-Session-Name",
        "session_session_path": "properties:Helicone-Session-Path",
    },
}
MAP_TABLES = frozenset({"properties", "values"})  # top-level maps: both filter properties


def property_value(key_placeholder: str) -> str:
    """A property's value by key, the key matched case-insensitively; '' when absent."""
    return (
        f"if(mapContains(properties, {key_placeholder}), properties[{key_placeholder}], "
        f"arrayElement(mapValues(mapFilter((k, v) -> lower(k) = lower({key_placeholder}), "
        f"properties)), 1))"
    )

"""Models of the gateway's own endpoints: health, the model registry, provider keys, cache."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from heliograph.api.schemas.envelope import Answer


class LogPipelineStats(Answer):
    submitted: int
    stored: int
    replayed: int
    rejected: int = Field(description="Rows the store refused; kept under spool/rejected/")
    backlog_segments: int
    backlog_rows: int = Field(description="Rows this process logged that are not yet stored")
    store_level: int = Field(
        description="The store's CPU share: 0 idle (SCHED_IDLE), 1 nice +10, 2 nice +5"
    )
    held_rows: int = Field(description="Rows held in memory because the spool cannot be written")
    lost_rows: int = Field(description="Rows never stored: memory buffer full (drop), shutdown")
    refused_calls: int = Field(description="Calls answered 503 because logging was unavailable")
    spool_write_failures: int = Field(description="Failed writes to the spool since start")
    store_failures: int = Field(description="Failed writes or look-ups of the store since start")


class RecordLogStats(Answer):
    pending: int = Field(description="Queued for the metadata database")
    dropped: int = Field(description="Not queued: the writer was too far behind")
    lost: int = Field(description="Queued, then refused by the metadata database")


class OnlineEvaluationStats(Answer):
    pending: int = Field(description="Jobs waiting or running, in every process (the backlog)")
    done: int = Field(description="Jobs this process scored since it started")
    failed: int = Field(description="Jobs this process gave up on (the error is kept)")
    retried: int = Field(description="Attempts this process will make again")
    lost: int = Field(
        description="Times a batch of logged rows could not be queued for evaluation "
        "(the metadata database refused it)"
    )
    dropped: int = Field(
        description="Jobs this process did not queue because the backlog was at "
        "online_evaluation_max_queued"
    )
    python_sandbox: Literal["namespaces", "audit-hook", "unknown", "off"] = Field(
        description="How Python evaluators are isolated; unknown until the first run"
    )


class GatewayWorkerReport(Answer):
    worker: str
    pid: int
    problem: str | None = Field(description="Why its rows are not being handed on, or null")
    submitted: int
    handed_off: int = Field(description="Rows handed to the store process")
    backlog_rows: int
    held_rows: int
    lost_rows: int
    refused_calls: int
    spool_write_failures: int
    age_s: float = Field(description="Seconds since this report was written")


class LogStreamStats(Answer):
    taken: int = Field(description="Batches this process took from the log stream")
    in_stream: int = Field(
        description="Batches in the stream not yet stored (by any serve process), as last read"
    )
    problem: str | None = Field(description="Why the stream cannot be read, or null")


class Health(Answer):
    status: Literal["ok", "degraded"] = Field(
        description='"ok", or "degraded" (HTTP 503) while log rows are not being stored'
    )
    reason: str | None = Field(description="Why rows are not being stored; null when ok")
    version: str
    log_pipeline: LogPipelineStats
    unknown_cost_models: dict[str, int] = Field(
        description="Calls logged with cost 0 because their model has no price, per model"
    )
    legacy_prompt_records: RecordLogStats = Field(
        description="Calls carrying Helicone-Prompt-Id, recorded off the request path "
        "(versions and inputs of legacy prompts)"
    )
    online_evaluation: OnlineEvaluationStats = Field(
        description="Evaluators attached to live traffic, scoring it in the background"
    )
    log_stream: LogStreamStats | None = Field(
        default=None, description="With log_stream set: ingest from the gateways' stream"
    )
    gateway_workers: list[GatewayWorkerReport] | None = Field(
        default=None,
        description="With serve --workers N: each gateway worker's log pipeline, as it "
        "last reported (every second)",
    )


class ModelPricing(Answer):
    """USD per token; a null cache rate means the input rate applies."""

    provider: str
    prompt: float
    completion: float
    cache_read: float | None
    cache_write: float | None
    configured: bool = Field(description="Whether the server has a key for this provider")


class ModelEntry(Answer):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    context_length: int | None
    providers: list[str]
    pricing: list[ModelPricing]


class ModelList(Answer):
    """OpenAI's model list, with providers and prices added."""

    object: Literal["list"]
    data: list[ModelEntry]


class NewProviderKey(BaseModel):
    provider: str = Field(
        min_length=1, max_length=64, description="A provider name (case-insensitive)"
    )
    key: str = Field(min_length=1, max_length=2048)
    name: str = Field("", max_length=200)


class ProviderKey(Answer):
    """A stored provider key: never the key itself, only a preview."""

    id: str
    provider: str
    name: str
    preview: str
    created_at: str


class CacheCleared(Answer):
    cleared: int = Field(description="Cached responses forgotten")


class CacheMetrics(Answer):
    hours: int
    requests: int
    cache_enabled_requests: int
    hits: int
    hit_rate: float = Field(description="hits / cache_enabled_requests")
    saved_cost_usd: float
    saved_prompt_tokens: int
    saved_completion_tokens: int

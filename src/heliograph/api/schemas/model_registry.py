"""Answers of Helicone's model registry routes (Jawn's ModelController, ModelRegistryController,
ProviderController)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.metrics import MetricsTimeFilter
from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.filters import RequestFilter
from heliograph.api.schemas.jawn_metrics import MAX_GROUPS, MAX_OFFSET


class OaiModel(Answer):
    id: str
    object: Literal["model"]
    created: int = Field(description="Unix seconds; 0: the catalog does not say")
    owned_by: str


class OaiModelList(Answer):
    object: Literal["list"]
    data: list[OaiModel]


class ModalityPricing(Answer):
    """USD per million audio tokens."""

    input: float | None = None
    output: float | None = None


class SimplifiedPricing(Answer):
    """USD per million tokens; a rate the catalog does not give is left out."""

    prompt: float
    completion: float
    audio: ModalityPricing | None = None
    cacheRead: float | None = None
    cacheWrite: float | None = None


class ModelEndpoint(Answer):
    provider: str = Field(description="Heliograph's provider name, as in model strings")
    providerSlug: str
    supportsPtb: bool = Field(description="Always false: Heliograph has no pass-through billing")
    pricing: SimplifiedPricing


class RegistryModel(Answer):
    id: str
    name: str
    author: str = Field(description="The provider of the model's first price row")
    contextLength: int = Field(description="Tokens; 0: not known")
    endpoints: list[ModelEndpoint]
    inputModalities: list[str]
    outputModalities: list[str]
    supportedParameters: list[str] = Field(description="Always empty: not tracked per model")


class ProviderName(Answer):
    name: str
    displayName: str


class RegistryFilters(Answer):
    providers: list[ProviderName]
    authors: list[str]
    capabilities: list[str]


class ModelRegistry(Answer):
    models: list[RegistryModel]
    total: int
    filters: RegistryFilters


class ProvidersBody(BaseModel):
    """Jawn's `ProviderQueryParams`."""

    model_config = ConfigDict(extra="forbid")

    filter: RequestFilter = "all"
    timeFilter: MetricsTimeFilter
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(100, ge=1, le=MAX_GROUPS)


class ProviderMetric(Answer):
    provider: str = Field(description="As stored in rows: Helicone's name (OPENAI, ...)")
    total_requests: int

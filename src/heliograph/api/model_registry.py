"""REST: Helicone's model registry routes: multimodal models, the registry with prices per
million tokens, and the providers the organization's requests went to.

The registry and the multimodal list come from the price catalog, Helicone's model registry
(costs/helicone_registry.json) and the configured providers (no logged data, no key needed,
as in Helicone); `/v1/providers` reads the caller's own requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.jawn_metrics import scope_of
from heliograph.api.metrics import window_of
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.model_registry import (
    ModelRegistry,
    OaiModelList,
    ProviderMetric,
    ProvidersBody,
)
from heliograph.api.services import services_of
from heliograph.costs.catalog import ModelPrice
from heliograph.gateway.model_modalities import is_multimodal, modalities
from heliograph.gateway.token_limits import context_window
from heliograph.store import jawn_metrics as jm

router = APIRouter(tags=["Models"])
PER_MILLION = 1_000_000
DISPLAY_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "azure": "Azure",
    "bedrock": "AWS Bedrock",
    "groq": "Groq",
    "deepseek": "DeepSeek",
    "xai": "xAI",
    "mistral": "Mistral",
    "openrouter": "OpenRouter",
    "together": "Together AI",
    "fireworks": "Fireworks",
    "perplexity": "Perplexity",
}


def priced_models(request: Request) -> Iterator[tuple[str, Any, ModelPrice]]:
    """(model, gateway provider, price row) for each model a configured-or-known provider
    prices by exact or prefix name, as GET /v1/models lists them."""
    services = services_of(request)
    by_helicone = {p.helicone_name: p for p in services.router.providers.values()}
    seen: set[tuple[str, str]] = set()
    for row in services.catalog.models:
        provider = by_helicone.get(row.provider)
        if provider is None or row.match == "includes" or (row.model, provider.name) in seen:
            continue
        seen.add((row.model, provider.name))
        yield row.model, provider, row
    # Helicone's registry ids (`claude-4.5-sonnet`), at the registry's price per provider.
    router_ = services.router
    for model in router_.registry:
        for name, endpoint in router_.registry_offers(model.id):
            if (model.id, name) not in seen:
                seen.add((model.id, name))
                yield model.id, router_.providers[name], endpoint.price


@router.get("/v1/models/multimodal", response_model=OaiModelList)
async def multimodal_models(request: Request) -> dict[str, Any]:
    """Models taking or giving more than one modality (text, image, audio, video)."""
    owners: dict[str, str] = {}
    for model, provider, _ in priced_models(request):
        if is_multimodal(model):
            owners.setdefault(model, provider.name)
    data = [
        {"id": model, "object": "model", "created": 0, "owned_by": owner}
        for model, owner in sorted(owners.items())
    ]
    return {"object": "list", "data": data}


def _per_million(rate: float | None) -> float | None:
    return None if rate is None else rate * PER_MILLION


def _present(found: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in found.items() if value is not None}


def _pricing(row: ModelPrice) -> dict[str, Any]:
    audio = _present(
        {"input": _per_million(row.audio_input), "output": _per_million(row.audio_output)}
    )
    found = {
        "prompt": row.input * PER_MILLION,
        "completion": row.output * PER_MILLION,
        "audio": audio or None,
        "cacheRead": _per_million(row.cache_read),
        "cacheWrite": _per_million(row.cache_write),
    }
    return _present(found)


def _about(request: Request, model: str, provider: str) -> tuple[str, str, int]:
    """Name, author and context length: the registry's for one of its ids, else from the
    catalog's name (the name itself, its first provider, the known context window)."""
    registered = services_of(request).router.registry.get(model)
    if registered is None:
        return model, provider, context_window(model) or 0
    context = registered.context_length or context_window(model) or 0
    return registered.name, registered.author or provider, context


def _capabilities(models: list[dict[str, Any]]) -> list[str]:
    found: set[str] = set()
    for model in models:
        found.update(m for m in ("image", "audio", "video") if m in model["inputModalities"])
        for endpoint in model["endpoints"]:
            pricing = endpoint["pricing"]
            if "audio" in pricing:
                found.add("audio")
            if "cacheRead" in pricing or "cacheWrite" in pricing:
                found.add("caching")
    return sorted(found)


@router.get(
    "/v1/public/model-registry/models",
    response_model=Envelope[ModelRegistry],
    response_model_exclude_unset=True,  # as Jawn: a rate the catalog lacks is left out
)
async def model_registry(request: Request) -> dict[str, Any]:
    """Every priced model with its providers' prices (USD per million tokens) and modalities."""
    models: dict[str, dict[str, Any]] = {}
    for model, provider, row in priced_models(request):
        inputs, outputs = modalities(model)
        name, author, context = _about(request, model, provider.name)
        entry = models.setdefault(
            model,
            {
                "id": model,
                "name": name,
                "author": author,
                "contextLength": context,
                "endpoints": [],
                "inputModalities": list(inputs),
                "outputModalities": list(outputs),
                "supportedParameters": [],
            },
        )
        entry["endpoints"].append(
            {
                "provider": provider.name,
                "providerSlug": provider.name,
                "supportsPtb": False,
                "pricing": _pricing(row),
            }
        )
    found = sorted(models.values(), key=lambda m: m["id"])
    providers = sorted({e["provider"]: e for m in found for e in m["endpoints"]})
    return ok(
        {
            "models": found,
            "total": len(found),
            "filters": {
                "providers": [
                    {"name": p, "displayName": DISPLAY_NAMES.get(p, p.title())} for p in providers
                ],
                "authors": sorted({m["author"] for m in found}),
                "capabilities": _capabilities(found),
            },
        }
    )


@router.post("/v1/providers", response_model=Envelope[list[ProviderMetric]])
async def providers_used(request: Request, caller: Reader, body: ProvidersBody) -> dict[str, Any]:
    """The providers of the organization's requests in the window, most requests first."""
    scope = scope_of(caller, body.filter, window_of(body.timeFilter))
    rows = await jm.ranked_groups(
        services_of(request).engine,
        scope,
        "provider",
        {"total_requests": "count()"},
        "m_total_requests",
        body.limit,
        body.offset,
    )
    return ok([{"provider": r["key"], "total_requests": int(r["total_requests"])} for r in rows])

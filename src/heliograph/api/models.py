"""REST: the model registry (`GET /v1/models`), in OpenAI's list shape with prices added:
the price catalog's model names and Helicone's registry ids, each with the providers the
gateway knows for it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.model_registry import priced_models
from heliograph.api.schemas.gateway import ModelList
from heliograph.api.services import services_of
from heliograph.costs.catalog import ModelPrice
from heliograph.gateway.providers import GatewayProvider
from heliograph.gateway.token_limits import context_window

router = APIRouter(tags=["AI Gateway"])


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request) -> dict[str, Any]:
    """Every model the gateway can route by name, with its providers and USD per token."""
    registry = services_of(request).router.registry
    models: dict[str, dict[str, Any]] = {}
    for model, provider, price in priced_models(request):
        if model not in models:
            registered = registry.get(model)
            context = registered.context_length if registered else None
            models[model] = _entry(model, provider.name, context)
        _offer(models[model], provider, price)
    return {"object": "list", "data": sorted(models.values(), key=lambda m: m["id"])}


def _entry(model: str, owner: str, context_length: int | None) -> dict[str, Any]:
    return {
        "id": model,
        "object": "model",
        "created": 0,
        "owned_by": owner,
        "context_length": context_length or context_window(model),
        "providers": [],
        "pricing": [],
    }


def _offer(entry: dict[str, Any], provider: GatewayProvider, price: ModelPrice) -> None:
    """The provider's price in the entry, unless the entry has one for it already."""
    if provider.name in entry["providers"]:
        return
    entry["providers"].append(provider.name)
    entry["pricing"].append(
        {
            "provider": provider.name,
            "prompt": price.input,
            "completion": price.output,
            "cache_read": price.cache_read,
            "cache_write": price.cache_write,
            "configured": provider.configured,
        }
    )
